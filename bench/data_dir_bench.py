"""What `--data-dir` costs on the embedded store: the snapshot taken on the event loop (the
pause a periodic write causes), a whole write, and the load at start, for N users.

    .venv/bin/python bench/data_dir_bench.py --users 10000
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from seg_graphql.store.client import connect, prepare
from seg_graphql.store.data_dir import DataDir

TIERS = ["bronze", "silver", "gold", "platinum"]


def _user(i: int) -> dict:
    return {
        "tenant": "bench",
        "userId": f"u{i}",
        "email": f"user{i}@example.com",
        "tier": TIERS[i % 4],
        "points": float(i % 5000),
        "badges": ["early"] if i % 3 == 0 else [],
        "customFields": {"country": "fr" if i % 2 else "de"},
    }


async def main(users: int) -> None:
    with tempfile.TemporaryDirectory(prefix="seg_data_dir_bench_") as name:
        await measure(users, Path(name))


async def measure(users: int, directory: Path) -> None:
    store = connect(None, "bench")
    kept = DataDir(directory, store.client)
    kept.open()
    await prepare(store)
    await store.db["users"].insert_many([_user(i) for i in range(users)])
    started = time.perf_counter()
    records = kept._snapshot()
    snapshot = time.perf_counter() - started
    started = time.perf_counter()
    await kept.save(force=True)
    write = time.perf_counter() - started
    kept.close()
    loaded = DataDir(directory, connect(None, "bench").client)
    started = time.perf_counter()
    count = loaded.open()
    load = time.perf_counter() - started
    loaded.close()
    size = sum(len(r) for r in records) / 1024**2
    print(f"{users:,} users, {size:.1f} MiB of BSON")
    print(f"snapshot on the event loop: {snapshot * 1000:.0f} ms")
    print(f"whole write (snapshot + file in a thread): {write * 1000:.0f} ms")
    print(f"load at start: {load * 1000:.0f} ms ({count:,} documents)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    asyncio.run(main(parser.parse_args().users))
