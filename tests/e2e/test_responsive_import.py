"""A served store stays responsive during a big import, and SIGTERM stops it promptly
(the worker checkpoints and lets go between batches); where the store persists, the next
start resumes the job to the result an uninterrupted run gives."""

from __future__ import annotations

import signal
import time

import httpx

from seg_graphql.importer.client import IMPORT_JOB
from tests.api.queries import CREATE
from tests.e2e.processes import Server
from tests.e2e.test_import_processes import (
    _create_segments,
    _wait,
    interrupted_import,
    needs_real,
    submit_file,
)
from tests.import_data import commands

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
        job = submit_file(server, DEV_KEY, path)
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
    interrupted, done, stored, same = await interrupted_import(tmp_path, _sigterm, seed=13)
    assert interrupted["status"] == "RUNNING" and interrupted["owner"] is None  # let go
    assert 300 <= interrupted["checkpointLine"] < 1500, interrupted
    assert done["status"] == "PARTIAL" and done["total"] == 1500, done
    assert same
    assert len(stored["claims"]) == 2 and stored.get("recoveries", 0) == 0  # a hand-over
