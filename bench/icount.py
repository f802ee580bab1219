"""Instructions per request through our ASGI app, counted by valgrind: deterministic where
timings on a shared machine are not, so it can tell a 2% change from noise.

Runs `asgi_bench.py --fixed 0` and `--fixed N` under cachegrind (PYTHONHASHSEED=0, collector
off after warm-up) and prints (I(N) - I(0)) / N. With --src, seg_graphql is imported from
another tree's src/ (a worktree of an older commit, for a before/after). Needs `valgrind`;
each run takes about a minute.

    python bench/icount.py [--query list] [--log text|json] [--requests 200] [--src DIR/src ...]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent


def instructions(src: str | None, query: str, log: str | None, requests: int) -> int:
    env = dict(os.environ, PYTHONHASHSEED="0")
    if src:
        env["PYTHONPATH"] = src
    command = ["valgrind", "--tool=cachegrind", "--cache-sim=no"]
    command += ["--cachegrind-out-file=/dev/null", sys.executable, str(HERE / "asgi_bench.py")]
    command += ["--query", query, "--fixed", str(requests)] + (["--log", log] if log else [])
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    return int(re.search(r"I\s+refs:\s+([\d,]+)", result.stderr).group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--query", default="list")
    parser.add_argument("--log", choices=["text", "json"], help="with serve's access log")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--src", action="append", help="import seg_graphql from here (repeat)")
    args = parser.parse_args()
    sources = args.src or [None]
    runs = [(src, n) for src in sources for n in (0, args.requests)]

    def count(run: tuple[str | None, int]) -> int:
        return instructions(run[0], args.query, args.log, run[1])

    with ThreadPoolExecutor(max_workers=2) as pool:  # the machine's two cores
        counts = list(pool.map(count, runs))
    for i, src in enumerate(sources):
        per_request = (counts[2 * i + 1] - counts[2 * i]) / args.requests
        print(
            f"{args.query} log={args.log or 'off'} {src or 'this tree'}: "
            f"{per_request / 1e6:.3f}M instructions per request"
        )


if __name__ == "__main__":
    main()
