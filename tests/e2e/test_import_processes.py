"""Imports across real processes: the CLI against a served store; a server killed with
SIGKILL mid-import resumes the job on restart; two servers never run the same job."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid

import orjson
import pytest

from seg_graphql.domain.models import Role
from seg_graphql.importer.client import IMPORT_JOB, ImportClient
from seg_graphql.jobs.imports import ImportWorker
from seg_graphql.services.auth import mint_key
from seg_graphql.store.api_keys import ApiKeyStore
from seg_graphql.store.client import connect, prepare
from tests.api.queries import CREATE
from tests.conftest import REAL_URL
from tests.e2e.processes import Server, clean_env
from tests.import_data import commands, outcome, submit
from tests.import_data import prepare as prepare_segments

DEV_KEY = "sgk_" + "e2eimportkey" * 3
needs_real = pytest.mark.skipif(not REAL_URL, reason="needs SEG_MONGODB_URL (the real-server lane)")


def cli_import(server, key, path, *args):
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "seg_graphql",
            "import",
            str(path),
            *args,
            "--url",
            server.url,
            "--key",
            key,
            "--poll",
            "0.1",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_env(),
    )


def test_the_cli_imports_a_file_into_a_served_embedded_store(tmp_path):
    server = Server(tmp_path / "server.log", SEG_DEV_API_KEY=DEV_KEY).start()
    try:
        created = server.data(DEV_KEY, CREATE, {"input": {"name": "VIP", "type": "STATIC"}})
        segment = created["createSegment"]["segment"]["id"]
        lines = [
            orjson.dumps(
                {
                    "operation": "UPDATE",
                    "segment_id": segment,
                    "email_hash": f"h{i}",
                    "expiration_duration": 0,
                }
            ).decode()
            for i in range(400)
        ]
        lines[1] = "{broken"
        lines[7] = orjson.dumps(
            {"operation": "UPDATE", "segment_id": "77", "email_hash": "x", "expiration_duration": 0}
        ).decode()
        path = tmp_path / "vip.ndjson"
        path.write_text("\n".join(lines))
        result = cli_import(server, DEV_KEY, path, "--type", "USER_SEGMENT", "--format", "ndjson")
        assert result.returncode == 1, result  # PARTIAL
        assert "PARTIAL: 400 lines, 398 applied, 2 failed" in result.stdout
        assert "line 2: MALFORMED_JSON" in result.stdout
        assert "line 8: NOT_FOUND: segment id '77' not found" in result.stdout
        assert "importing" in result.stderr and "100%" in result.stderr

        bad_header = tmp_path / "bad.csv"
        bad_header.write_text("operation,segment\nUPDATE,1\n")
        result = cli_import(
            server, DEV_KEY, bad_header, "--type", "user_segment", "--format", "CSV"
        )
        assert (
            result.returncode == 2 and "FAILED" in result.stdout and "BAD_HEADER" in result.stdout
        )

        result = cli_import(
            server, "sgk_" + "x" * 30, path, "--type", "USER_SEGMENT", "--format", "ndjson"
        )
        assert result.returncode == 3 and "UNAUTHENTICATED" in result.stderr
    finally:
        server.stop()


async def _database_with_key(name):
    store = await prepare(connect(REAL_URL, name))
    key = (await mint_key(ApiKeyStore(store.db), tenant="acme", role=Role.ADMIN)).key
    return store, key


async def _reference(store, content):
    """The same import, run without interruption by one worker in this process."""
    await prepare_segments(store, "acme")
    job_id = await submit(store, "acme", content)
    worker = ImportWorker(store, "reference", lease_seconds=30, poll_seconds=1, batch_lines=50)
    assert await worker.run_pending() == 1
    return await outcome(store, "acme", job_id)


def _create_segments(server, key):
    for name in ("one", "two", "three"):
        server.data(key, CREATE, {"input": {"name": name, "type": "STATIC"}})


def _wait(server, key, job_id, until, timeout=300.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = server.data(key, IMPORT_JOB, {"id": job_id})["importJob"]
        if until(job):
            return job
        time.sleep(0.05)
    raise AssertionError(f"import {job_id} did not get there: {job}")


def submit_file(server, key, path):
    client = ImportClient(server.url, key)
    try:
        return client.submit(path, document_type="USER_SEGMENT", format="NDJSON", name="big")
    finally:
        client.close()


async def interrupted_import(tmp_path, interrupt, *, seed, **env_extra):
    """1,500 lines into a served real store; `interrupt(server)` once 300 are done; then a
    restart runs the job to its end. Returns the job as stored right after the interruption,
    the job as it ended, its stored record, and whether the outcome equals an uninterrupted
    run's."""
    database, ref_db = f"seg_crash_{uuid.uuid4().hex[:8]}", f"seg_ref_{uuid.uuid4().hex[:8]}"
    store, key = await _database_with_key(database)
    reference, _ = await _database_with_key(ref_db)
    content = commands(seed=seed, lines=1500, users=120)
    path = tmp_path / "big.ndjson"
    path.write_bytes(content)
    env = {
        "SEG_MONGODB_URL": REAL_URL,
        "SEG_DATABASE": database,
        "SEG_IMPORT_BATCH_LINES": "50",
        "SEG_IMPORT_POLL_SECONDS": "0.2",
        **env_extra,
    }
    server = Server(tmp_path / "server.log", **env).start()
    try:
        _create_segments(server, key)
        job = submit_file(server, key, path)
        await asyncio.to_thread(_wait, server, key, job["id"], lambda j: j["total"] >= 300)
        await asyncio.to_thread(interrupt, server)
        interrupted = await store.db["imports"].find_one({})
        restarted = Server(tmp_path / "server.log", **env).start()
        try:
            done = await asyncio.to_thread(
                _wait, restarted, key, job["id"], lambda j: j["status"] != "RUNNING"
            )
        finally:
            restarted.stop()
        same = await outcome(store, "acme", job["id"]) == await _reference(reference, content)
        return interrupted, done, await store.db["imports"].find_one({}), same
    finally:
        server.stop()
        for opened, name in ((store, database), (reference, ref_db)):
            await opened.client.drop_database(name)
            await opened.close()


@needs_real
async def test_a_server_killed_mid_import_resumes_it_on_restart(tmp_path):
    interrupted, done, stored, same = await interrupted_import(
        tmp_path, Server.kill, seed=11, SEG_IMPORT_LEASE_SECONDS="2"
    )
    assert interrupted["status"] == "RUNNING" and 300 <= interrupted["checkpointLine"] < 1500
    assert done["status"] == "PARTIAL" and done["total"] == 1500, done
    assert same
    assert len(stored["claims"]) == 2 and stored["recoveries"] == 1


@needs_real
async def test_two_servers_on_one_database_never_run_the_same_job(tmp_path):
    database = f"seg_pair_{uuid.uuid4().hex[:8]}"
    store, key = await _database_with_key(database)
    env = {
        "SEG_MONGODB_URL": REAL_URL,
        "SEG_DATABASE": database,
        "SEG_IMPORT_POLL_SECONDS": "0.1",
        "SEG_IMPORT_BATCH_LINES": "20",
    }
    first = Server(tmp_path / "first.log", **env).start()
    second = Server(tmp_path / "second.log", **env).start()
    try:
        _create_segments(first, key)
        ids = []
        for seed, server in zip(range(6), [first, second] * 3, strict=True):
            path = tmp_path / f"{seed}.ndjson"
            path.write_bytes(commands(seed=seed, lines=60))
            client = ImportClient(server.url, key)
            ids.append(
                client.submit(path, document_type="USER_SEGMENT", format="NDJSON", name=str(seed))[
                    "id"
                ]
            )
            client.close()
        for job_id in ids:
            await asyncio.to_thread(
                _wait,
                first,
                key,
                job_id,
                lambda j: j["status"] != "RUNNING" and j["status"] != "PENDING",
            )
        owners = set()
        async for job in store.db["imports"].find({}):
            assert len(job["claims"]) == 1, job["claims"]
            assert job["status"] == "PARTIAL" and job["total"] == 60
            owners.add(job["claims"][0]["owner"].rsplit(":", 2)[1])  # the process id
        assert len(owners) == 2, "both servers took jobs"
    finally:
        first.stop()
        second.stop()
        await store.client.drop_database(database)
        await store.close()
