"""A small HTTP/1.1 keep-alive load generator (asyncio streams), run in its own process.

It sends one fixed POST over N connections for a fixed time, counts complete responses and
reports their latency percentiles (p50, p99).
Written here rather than pulled in so the benchmark needs nothing beyond the test extras.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time


async def _worker(
    host: str,
    port: int,
    request: bytes,
    stop_at: float,
    counts: list[int],
    failures: list[int],
    latencies: list[float],
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while (sent := time.perf_counter()) < stop_at:
            status, _body = await exchange(reader, writer, request)
            latencies.append(time.perf_counter() - sent)
            if status == 200:
                counts[0] += 1
            else:
                failures[0] += 1
    finally:
        writer.close()


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    """Sends one request on a keep-alive connection; returns the status and the body."""
    writer.write(request)
    status_line = await reader.readline()
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = await reader.readexactly(length)
    return int(status_line.split(b" ", 2)[1]), body


def post_request(host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    head = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        "Connection: keep-alive",
    ]
    head += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def run(
    host: str,
    port: int,
    path: str,
    body: bytes,
    headers: dict[str, str],
    seconds: float,
    connections: int,
) -> dict[str, float]:
    request = post_request(host, port, path, body, headers)
    counts, failures, latencies = [0], [0], []
    started = time.perf_counter()
    stop_at = started + seconds
    await asyncio.gather(
        *(
            _worker(host, port, request, stop_at, counts, failures, latencies)
            for _ in range(connections)
        )
    )
    elapsed = time.perf_counter() - started
    return {
        "requests": counts[0],
        "failures": failures[0],
        "seconds": elapsed,
        "rps": counts[0] / elapsed,
        "p50_ms": _percentile(latencies, 0.50) * 1000,
        "p99_ms": _percentile(latencies, 0.99) * 1000,
    }


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    spec = json.loads(sys.argv[1])
    result = asyncio.run(
        run(
            spec["host"],
            spec["port"],
            spec["path"],
            spec["body"].encode(),
            spec["headers"],
            spec["seconds"],
            spec["connections"],
        )
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
