"""Where a request's time goes in our server: py-spy samples it under load, with compiled
execution off (the generic path) and on, and prints the share of samples per layer and the
functions that hold the most samples themselves.

    pip install py-spy   # not a test dependency
    python bench/profile_http.py [--query list] [--seconds 10] [--connections 16]
                                 [--access-log text|json|off] [--only generic|compiled]

py-spy attaches to the server process (it needs ptrace rights: root, or
kernel.yama.ptrace_scope=0). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import http_bench

HERE = Path(__file__).resolve().parent

# First match wins: a sample is charged to the innermost frame's layer.
LAYERS = [
    ("compiled execution", "seg_graphql/execution/"),
    ("our resolvers and services", "seg_graphql/graphql/"),
    ("our resolvers and services", "seg_graphql/services/"),
    ("our resolvers and services", "seg_graphql/domain/"),
    ("bench in-memory store", "http_bench.py"),
    ("access log", "seg_graphql/web/access_log.py"),
    ("logging, structlog", "logging/"),
    ("logging, structlog", "structlog/"),
    ("metrics", "seg_graphql/web/metrics.py"),
    ("uvicorn and httptools", "seg_graphql/web/serving.py"),
    ("endpoint, auth", "seg_graphql/"),
    ("graphql-core", "graphql/"),
    ("strawberry", "strawberry/"),
    ("starlette", "starlette/"),
    ("uvicorn and httptools", "uvicorn/"),
    ("uvicorn and httptools", "httptools/"),
    ("prometheus client", "prometheus_client/"),
    ("asyncio event loop", "asyncio/"),
]


def _layer(frame: str) -> str:
    for name, marker in LAYERS:
        if marker in frame:
            return name
    return "other (stdlib, C calls)"


def profile(compiled: bool, args: argparse.Namespace, out: Path) -> None:
    port = http_bench._free_port()
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "SEG_COMPILED_EXECUTION": "true" if compiled else "false",
    }
    command = [sys.executable, str(HERE / "http_bench.py"), "--serve", "ours", "--port", str(port)]
    command += ["--access-log", args.access_log, "--log-file", str(out.with_suffix(".log"))]
    server = subprocess.Popen(command, env=env)
    try:
        http_bench._wait_ready(port)
        http_bench._load(port, args.query, 2.0, args.connections)  # warm up
        spy = subprocess.Popen(
            [
                _py_spy(),
                "record",
                "--full-filenames",
                "--pid",
                str(server.pid),
                "--duration",
                str(int(args.seconds)),
                "--format",
                "raw",
                "--output",
                str(out),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        result = http_bench._load(port, args.query, args.seconds + 1, args.connections)
        spy.wait(timeout=60)
    finally:
        server.terminate()
        server.wait(timeout=10)
    _summarise("compiled" if compiled else "generic", out, result)


def _summarise(label: str, raw: Path, load: dict) -> None:
    layers: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        samples = int(count)
        total += samples
        leaf = frames[-1]
        layers[_layer(leaf)] += samples
        own[leaf.split(" (")[0] + " (" + leaf.split(" (")[-1]] += samples
    print(f"\n{label}: {load['rps']:.0f} req/s, p50 {load['p50_ms']:.1f} ms; {total} samples")
    for name, samples in layers.most_common():
        print(f"  {samples / total:6.1%}  {name}")
    print("  functions holding the most samples themselves:")
    for name, samples in own.most_common(12):
        print(f"  {samples / total:6.1%}  {name}")


def _py_spy() -> str:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy") or "py-spy"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--query", choices=list(http_bench.QUERIES), default="list")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--access-log",
        choices=["text", "json", "off"],
        default="text",
        help="our server logs as `seg-graphql serve` does (as in http_bench.py)",
    )
    parser.add_argument(
        "--only", choices=["generic", "compiled"], help="profile one execution path only"
    )
    args = parser.parse_args()
    if not Path(_py_spy()).exists():
        sys.exit("py-spy is not installed: pip install py-spy")
    folder = Path(tempfile.mkdtemp(prefix="seg-profile-"))
    print(f"query '{args.query}', {args.connections} connections, {args.seconds:.0f}s each")
    for compiled in (False, True):
        if args.only in (None, "compiled" if compiled else "generic"):
            profile(compiled, args, folder / f"{compiled}.txt")
    print(json.dumps({"raw profiles": str(folder)}))


if __name__ == "__main__":
    main()
