"""Slow and silent connections against `seg-graphql serve`: how many the server closes, when,
and whether /healthz stays quick meanwhile.

Opens N connections to a server on the embedded store: half send nothing, half send request
headers one byte per second (slowloris). Prints how many the server closed and the time it
took (min / median / max). Nothing is asserted.

    python bench/slow_connections.py [--connections 200] [--wait 45] [--idle 30]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _hold(port: int, slow: bool, wait: float) -> float | None:
    """Seconds until the server closed the connection, or None if it stayed open."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    headers = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 10_000
    sent = 0
    try:
        while time.monotonic() - started < wait:
            if slow and sent < len(headers):
                writer.write(headers[sent : sent + 1])
                sent += 1
            try:
                if await asyncio.wait_for(reader.read(1), timeout=1.0) == b"":
                    return time.monotonic() - started
            except TimeoutError:
                continue
            except ConnectionError:
                return time.monotonic() - started
        return None
    finally:
        writer.close()


async def _health(port: int, until: float) -> list[float]:
    took = []
    async with httpx.AsyncClient() as http:
        while time.monotonic() < until:
            started = time.monotonic()
            await http.get(f"http://127.0.0.1:{port}/healthz", timeout=30)
            took.append(time.monotonic() - started)
            await asyncio.sleep(1)
    return took


async def _run(port: int, connections: int, wait: float) -> None:
    holds = [_hold(port, n % 2 == 1, wait) for n in range(connections)]
    results, health = await asyncio.gather(
        asyncio.gather(*holds), _health(port, time.monotonic() + wait)
    )
    for label, part in (("silent", results[0::2]), ("slow headers", results[1::2])):
        closed = sorted(t for t in part if t is not None)
        timing = (
            f"after {closed[0]:.1f} / {statistics.median(closed):.1f} / {closed[-1]:.1f} s"
            if closed
            else ""
        )
        print(f"  {label:<13} {len(closed)} of {len(part)} closed {timing}")
    print(f"  /healthz meanwhile: max {max(health) * 1000:.1f} ms over {len(health)} checks")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--wait", type=float, default=45)
    parser.add_argument("--idle", type=float, default=None, help="SEG_IDLE_TIMEOUT_SECONDS")
    args = parser.parse_args()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEG_")}
    if args.idle is not None:
        env["SEG_IDLE_TIMEOUT_SECONDS"] = str(args.idle)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "server.log"
        server = subprocess.Popen(
            [sys.executable, "-m", "seg_graphql", "serve", "--port", str(port)],
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            env=env,
        )
        try:
            for _ in range(300):
                try:
                    httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            idle = args.idle if args.idle is not None else "default"
            print(f"slow_connections: {args.connections} connections, idle timeout {idle}")
            asyncio.run(_run(port, args.connections, args.wait))
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
