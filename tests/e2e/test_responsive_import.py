"""A served store stays responsive during a big import, and SIGTERM stops it promptly
(the worker checkpoints and lets go between batches); where the store persists, the next
start resumes the job to the result an uninterrupted run gives."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid

import httpx

from seg_graphql.importer.client import IMPORT_JOB, ImportClient
from tests.api.queries import CREATE
from tests.conftest import REAL_URL
from tests.e2e.processes import Server
from tests.e2e.test_import_processes import (
    _create_segments,
    _database_with_key,
    _reference,
    _wait,
    needs_real,
)
from tests.import_data import commands, outcome

DEV_KEY = "sgk_" + "e2eresponsive" * 3
STOP_WITHIN = 10.0  # seconds from SIGTERM to exit (issue 15)
HEALTHZ_WITHIN = 1.0


def _sigterm(server: Server) -> float:
    assert server.proc is not None
    signalled = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    server.proc.wait(timeout=STOP_WITHIN)  # TimeoutExpired fails the test
    return time.monotonic() - signalled


def test_the_embedded_server_answers_during_a_100k_line_import_and_stops_on_sigterm(tmp_path):
    path = tmp_path / "big.ndjson"
    path.write_bytes(commands(seed=5, lines=100_000, users=50_000))
    env = {"SEG_DEV_API_KEY": DEV_KEY, "SEG_IMPORT_POLL_SECONDS": "0.2"}
    server = Server(tmp_path / "server.log", **env).start()
    try:
        _create_segments(server, DEV_KEY)
        client = ImportClient(server.url, DEV_KEY)
        job = client.submit(path, document_type="USER_SEGMENT", format="NDJSON", name="big")
        client.close()
        job = _wait(server, DEV_KEY, job["id"], lambda j: j["total"] > 0, timeout=60)
        assert job["status"] == "RUNNING"

        probes = 0
        deadline = time.monotonic() + 5
        with httpx.Client(timeout=HEALTHZ_WITHIN) as http:  # a slower answer fails the test
            while time.monotonic() < deadline:
                assert http.get(f"http://127.0.0.1:{server.port}/healthz").status_code == 200
                probes += 1
                time.sleep(0.05)
        assert probes >= 20
        created = server.data(DEV_KEY, CREATE, {"input": {"name": "during", "type": "STATIC"}})
        assert created["createSegment"]["userErrors"] == []
        job = server.data(DEV_KEY, IMPORT_JOB, {"id": job["id"]})["importJob"]
        assert job["status"] == "RUNNING" and 0 < job["total"] < 100_000, job

        _sigterm(server)
        # a graceful exit: uvicorn re-raises the signal once it has shut the app down
        assert server.proc.returncode == -signal.SIGTERM
        log = server.log.read_text()
        assert "Application shutdown complete" in log and "Traceback" not in log, log
    finally:
        server.stop()


@needs_real
async def test_sigterm_mid_import_lets_the_job_go_and_the_next_start_resumes_it(tmp_path):
    database, ref_db = f"seg_term_{uuid.uuid4().hex[:8]}", f"seg_ref_{uuid.uuid4().hex[:8]}"
    store, key = await _database_with_key(database)
    reference, _ = await _database_with_key(ref_db)
    content = commands(seed=13, lines=1500, users=120)
    path = tmp_path / "big.ndjson"
    path.write_bytes(content)
    env = {
        "SEG_MONGODB_URL": REAL_URL,
        "SEG_DATABASE": database,
        "SEG_IMPORT_BATCH_LINES": "50",
        "SEG_IMPORT_POLL_SECONDS": "0.2",
    }
    server = Server(tmp_path / "server.log", **env).start()
    try:
        _create_segments(server, key)
        client = ImportClient(server.url, key)
        job = client.submit(path, document_type="USER_SEGMENT", format="NDJSON", name="big")
        client.close()
        await asyncio.to_thread(_wait, server, key, job["id"], lambda j: j["total"] >= 300)
        await asyncio.to_thread(_sigterm, server)
        stored = await store.db["imports"].find_one({})
        assert stored["status"] == "RUNNING" and stored["owner"] is None, stored  # let go
        assert 300 <= stored["checkpointLine"] < 1500, stored

        restarted = Server(tmp_path / "server.log", **env).start()
        try:
            done = await asyncio.to_thread(
                _wait, restarted, key, job["id"], lambda j: j["status"] != "RUNNING"
            )
        finally:
            restarted.stop()
        assert done["status"] == "PARTIAL" and done["total"] == 1500, done
        assert await outcome(store, "acme", job["id"]) == await _reference(reference, content)
        stored = await store.db["imports"].find_one({})
        assert len(stored["claims"]) == 2 and stored.get("recoveries", 0) == 0  # a hand-over
    finally:
        server.stop()
        for opened, name in ((store, database), (reference, ref_db)):
            await opened.client.drop_database(name)
            await opened.close()
