"""A served embedded store under a big import: the import's rate, and how the server answers
meanwhile. Starts `seg-graphql serve` (embedded store) as a separate process, uploads a
USER_SEGMENT file through the API, and while the job runs probes /healthz every 0.1 s and a
small GraphQL query every 0.5 s (each from its own thread). Optionally sends SIGTERM after
some seconds and times the exit. Prints figures; asserts nothing.

    python bench/serve_import_bench.py --lines 100000 [--max-seconds 600] [--sigterm-after 30]

To measure another checkout's server (e.g. before a change), put its sources first:
    PYTHONPATH=/path/to/other/src python bench/serve_import_bench.py --lines 5000
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from import_bench import SEGMENTS, generate  # bench/ is the script's directory

from seg_graphql.importer.client import IMPORT_JOB, ImportClient

KEY = "sgk_" + "servedimportbench" * 2
CREATE = """mutation($input: CreateSegmentInput!) {
  createSegment(input: $input) { segment { id } userErrors { message } } }"""
PROBE_QUERY = "{ segments(first: 1) { totalCount } }"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Prober(threading.Thread):
    """Times one request every `every` seconds until stopped (a request that fails or times
    out counts with its full wait)."""

    def __init__(self, name: str, send, every: float) -> None:
        super().__init__(name=name, daemon=True)
        self.send = send
        self.every = every
        self.times: list[float] = []
        self.failures = 0
        self.stop = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=30) as http:
            while not self.stop.is_set():
                started = time.perf_counter()
                try:
                    ok = self.send(http)
                except httpx.HTTPError:
                    ok = False
                self.times.append(time.perf_counter() - started)
                self.failures += not ok
                self.stop.wait(self.every)

    def summary(self) -> str:
        if not self.times:
            return f"{self.name}: no samples"
        ordered = sorted(self.times)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return (
            f"{self.name}: {len(ordered)} requests, median {statistics.median(ordered) * 1000:.1f}"
            f" ms, p99 {p99 * 1000:.0f} ms, worst {ordered[-1] * 1000:.0f} ms, "
            f"{self.failures} failed"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--max-seconds", type=float, default=900.0, help="stop waiting after")
    parser.add_argument("--sigterm-after", type=float, help="SIGTERM the server after N s")
    args = parser.parse_args()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEG_")}
    env.update(SEG_DEV_API_KEY=KEY, SEG_IMPORT_POLL_SECONDS="0.2", PYTHONUNBUFFERED="1")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.ndjson"
        size = generate(path, args.lines)
        log = Path(tmp) / "server.log"
        server = subprocess.Popen(
            [sys.executable, "-m", "seg_graphql", "serve", "--port", str(port)],
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            env=env,
        )
        try:
            run(args, base, path, size, server)
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()
            tail = log.read_text().splitlines()[-5:]
            print("server log (last lines):", *tail, sep="\n  ")


def run(args: argparse.Namespace, base: str, path: Path, size: int, server) -> None:
    headers = {"Authorization": f"Bearer {KEY}"}
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline and server.poll() is None, "server did not start"
        time.sleep(0.1)
    for n in range(SEGMENTS):
        httpx.post(
            f"{base}/graphql",
            json={"query": CREATE, "variables": {"input": {"name": f"list {n}", "type": "STATIC"}}},
            headers=headers,
        ).raise_for_status()
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores; embedded store; "
        f"{args.lines:,} lines, {size / 1e6:.1f} MB"
    )

    health = Prober(
        "/healthz", lambda http: http.get(f"{base}/healthz").status_code == 200, every=0.1
    )
    query = Prober(
        "GraphQL segments(first: 1)",
        lambda http: (
            "errors"
            not in http.post(f"{base}/graphql", json={"query": PROBE_QUERY}, headers=headers).json()
        ),
        every=0.5,
    )
    client = ImportClient(f"{base}/graphql", KEY, timeout=args.max_seconds)
    started = time.perf_counter()
    try:
        job = client.submit(path, document_type="USER_SEGMENT", format="NDJSON", name="bench")
    except httpx.TimeoutException:
        print(f"upload: no answer within {args.max_seconds:.0f} s (the server is not answering)")
        return
    uploaded = time.perf_counter() - started
    print(f"upload: {uploaded:.1f} s")
    health.start()
    query.start()
    began = time.perf_counter()
    stop_took = None
    with httpx.Client(timeout=60, headers=headers) as http:
        while time.perf_counter() - began < args.max_seconds:
            if args.sigterm_after is not None and time.perf_counter() - began >= args.sigterm_after:
                job = _job(http, base, job["id"]) or job
                for prober in (health, query):  # only what the running server answered
                    prober.stop.set()
                    prober.join()
                signalled = time.perf_counter()
                server.send_signal(signal.SIGTERM)
                try:
                    server.wait(timeout=120)
                    stop_took = time.perf_counter() - signalled
                except subprocess.TimeoutExpired:
                    stop_took = float("inf")
                break
            job = _job(http, base, job["id"]) or job
            if job["status"] in ("SUCCEEDED", "PARTIAL", "FAILED"):
                break
            time.sleep(1)
    elapsed = time.perf_counter() - began
    health.stop.set()
    query.stop.set()
    health.join()
    query.join()
    print(
        f"import: {job['status']}, {job['total']:,} of {args.lines:,} lines done in {elapsed:.1f} s"
        f" = {job['total'] / elapsed:,.0f} lines/s ({job['applied']:,} applied, "
        f"{job['failed']:,} failed)"
    )
    print(health.summary())
    print(query.summary())
    if stop_took is not None:
        print(f"SIGTERM after {args.sigterm_after:.0f} s: the server exited in {stop_took:.1f} s")


def _job(http: httpx.Client, base: str, job_id: str) -> dict | None:
    try:
        body = http.post(
            f"{base}/graphql", json={"query": IMPORT_JOB, "variables": {"id": job_id}}
        ).json()
    except httpx.HTTPError:
        return None
    return body.get("data", {}).get("importJob")


if __name__ == "__main__":
    main()
