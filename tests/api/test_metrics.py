"""/metrics tells an operator what is wrong and survives abuse: operation names only from
valid keys, process and GC figures, store command latency, the import queue, job successes."""

from __future__ import annotations

import asyncio
import re

import httpx
from prometheus_client.parser import text_string_to_metric_families

from seg_graphql.app import create_app
from seg_graphql.config import Settings
from seg_graphql.domain.clock import utc_now
from tests.conftest import GraphQLClient


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_unauthenticated_requests_do_not_create_operation_labels(admin, http):
    for n in range(300):
        await http.post(
            "/graphql", json={"query": "{ viewer { tenant } }", "operationName": f"junk{n}"}
        )
    await admin.post("query Real { viewer { tenant } }", operationName="Real")
    text = (await http.get("/metrics")).text
    assert "junk" not in text
    assert 'seg_graphql_requests_total{operation="Real",outcome="ok"} 1.0' in text
    assert (
        'seg_graphql_requests_total{operation="anonymous",outcome="unauthenticated"} 300.0' in text
    )


async def test_process_and_gc_collectors(http):
    text = (await http.get("/metrics")).text
    assert re.search(r"^process_resident_memory_bytes \d", text, re.M)
    assert "python_gc_collections_total" in text


async def test_import_queue_depth_and_oldest_waiting_job(store, make_key):
    # no worker poll during the test, and submitting does not wake it: the job waits
    app = create_app(Settings(import_poll_seconds=3600), store=store)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://t") as http,
    ):
        app.state.wake_imports = lambda: None
        await _first_success(http, "imports")  # its first look at the queue is over
        before = _samples((await http.get("/metrics")).text)
        admin = GraphQLClient(http, await make_key())
        submitted = await admin.data(
            'mutation { runImport(input: {documentType: USER_PROFILE, format: NDJSON, name: "q",'
            ' content: "{\\"userId\\": \\"1\\"}"}) { job { id } userErrors { message } } }'
        )
        assert submitted["runImport"]["userErrors"] == []
        await asyncio.sleep(0.01)
        after = _samples((await http.get("/metrics")).text)
    assert before[("seg_graphql_import_queue_depth", ())] == 0
    assert before[("seg_graphql_import_queue_oldest_age_seconds", ())] == 0
    assert after[("seg_graphql_import_queue_depth", ())] == 1
    assert after[("seg_graphql_import_queue_oldest_age_seconds", ())] > 0


async def _first_success(http, job: str) -> float:
    key = ("seg_graphql_job_last_success_timestamp_seconds", (("job", job),))
    for _ in range(100):
        samples = _samples((await http.get("/metrics")).text)
        if key in samples:
            return samples[key]
        await asyncio.sleep(0.1)
    raise AssertionError(f"{job} never reported a success")


async def test_background_jobs_report_their_last_success(http):
    for job in ("list-expiry", "estimate-refresh", "imports"):
        assert abs(await _first_success(http, job) - utc_now().timestamp()) < 60


async def test_store_command_latency_by_command(admin, http, store):
    await admin.data("{ segments { totalCount } }")
    text = (await http.get("/metrics")).text
    if store.embedded:  # the embedded store has no wire: no command latency to report
        assert "seg_graphql_store_command_seconds_count{" not in text
        return
    assert re.search(
        r'seg_graphql_store_command_seconds_count\{command="find",outcome="ok"\} [1-9]', text
    )
