"""Imports: parse+validate rate, whole-import rate, and the raw driver's bulk upsert of the
same documents on the same store, in one run, plus peak RSS. Prints figures; asserts nothing.

    SEG_MONGODB_URL=$(scripts/realdb.sh start) python bench/import_bench.py [--lines 1000000]
    python bench/import_bench.py --lines 200000 --parse-only     # no server needed

Targets (real server): parse+validate >= 200,000 lines/s; whole import >= 0.7x the raw
driver rate; RSS flat (< 200 MB) whatever the file size. The embedded store is refused for
the store phases (it scans in Python on the event loop): pass --embedded only to smoke-test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import orjson
from pymongo import UpdateOne

from seg_graphql.domain.imports import CHUNK_BYTES
from seg_graphql.domain.models import Principal, Role
from seg_graphql.importer.applier import validate_segment_lines
from seg_graphql.importer.parsers import Record, parse_ndjson
from seg_graphql.jobs.imports import ImportWorker
from seg_graphql.services.imports import ImportService
from seg_graphql.services.scope import Scope
from seg_graphql.services.segments import SegmentService
from seg_graphql.store.client import Store, connect, prepare

TENANT = "bench"
SEGMENTS = 20


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def generate(path: Path, lines: int, seed: int = 1, deletes_only: bool = False) -> int:
    """NDJSON USER_SEGMENT commands: half as many users as lines, 20 segments, a mix of the
    seed's identifiers, durations, weights and data bags; 1 in 10 lines a DELETE (all of them
    with deletes_only: of unknown users, so nothing is written)."""
    rng = random.Random(seed)
    users = max(lines // 2, 1)
    with path.open("wb") as out:
        batch = []
        for n in range(lines):
            user = rng.randrange(users)
            line = {
                "operation": "DELETE" if deletes_only or n % 10 == 9 else "UPDATE",
                "segment_id": str(rng.randrange(1, SEGMENTS + 1)),
                "expiration_duration": rng.choice((0, 1440, 43200)),
                "weight": rng.choice((0.2, 0.5, 1.0)),
            }
            kind = user % 3
            if kind == 0:
                line.update(compartment_id="1", user_account_id=f"acc{user}")
            elif kind == 1:
                line["email_hash"] = f"{user:032x}"
            else:
                line["user_agent_id"] = f"vec:{user}"
            if n % 4 == 0:
                line["data_bag"] = '{"campaign": "spring", "score": 3}'
            batch.append(orjson.dumps(line))
            if len(batch) == 10_000:
                out.write(b"\n".join(batch) + b"\n")
                batch = []
        if batch:
            out.write(b"\n".join(batch) + b"\n")
    return path.stat().st_size


async def file_chunks(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as source:
        while piece := source.read(CHUNK_BYTES):
            yield piece


async def parse_and_validate(path: Path) -> tuple[int, int]:
    """The worker's pipeline up to the database: stream, parse, validate (no I/O)."""
    at = datetime.now(UTC)
    good = bad = 0
    async for items in parse_ndjson(file_chunks(path), decode=False):  # as the worker does
        records = [i for i in items if isinstance(i, Record)]
        commands, problems = validate_segment_lines(records, at)
        good += len(commands)
        bad += len(problems) + len(items) - len(records)
    return good, bad


async def whole_import(store: Store, path: Path, batch: int) -> dict:
    principal = Principal(TENANT, Role.ADMIN, key_id="bench")
    segments = SegmentService(Scope(store, principal))
    for n in range(SEGMENTS):
        await segments.create({"name": f"list {n}", "type": "STATIC"})
    service = ImportService(Scope(store, principal), max_bytes=10**11)
    await service.submit(
        {"documentType": "USER_SEGMENT", "format": "NDJSON", "name": "bench"}, file_chunks(path)
    )
    worker = ImportWorker(store, "bench", lease_seconds=600, poll_seconds=1, batch_lines=batch)
    await worker.run_pending()
    return await store.db["imports"].find_one({"tenant": TENANT})


def raw_requests(lines: list[bytes]) -> list[UpdateOne]:
    """What the import writes for each line, as plain upserts (no lookups, no history)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    requests = []
    for raw in lines:
        line = orjson.loads(raw)
        if "user_account_id" in line:
            user = f"account:1:{line['user_account_id']}"
        elif "email_hash" in line:
            user = f"email_hash:{line['email_hash']}"
        else:
            user = f"user_agent:{line['user_agent_id']}"
        path = f"m.s{line['segment_id']}"
        fields = {f"{path}.listed": line["operation"] == "UPDATE", f"{path}.updatedAt": now}
        if line["operation"] == "UPDATE":
            fields[f"{path}.weight"] = line["weight"]
            fields[f"{path}.dataBag"] = line.get("data_bag")
        requests.append(
            UpdateOne(
                {"tenant": "raw", "userId": user},
                {
                    "$set": fields,
                    "$addToSet": {"segs": int(line["segment_id"])},
                    "$setOnInsert": {"tenant": "raw", "userId": user},
                },
                upsert=True,
            )
        )
    return requests


async def raw_upserts(store: Store, path: Path, batch: int) -> int:
    """The same documents through the driver's bulk_write alone, batch by batch (read
    from the same file, so memory stays as flat as the import's)."""
    users = store.db["users"]
    step = min(batch, store.capabilities.max_update_batch)
    done = 0
    with path.open("rb") as source:
        while True:
            lines = [line for line in (source.readline() for _ in range(batch)) if line.strip()]
            if not lines:
                return done
            requests = raw_requests(lines)
            for start in range(0, len(requests), step):
                await users.bulk_write(requests[start : start + step], ordered=True)
            done += len(lines)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000, help="lines per import batch")
    parser.add_argument("--parse-only", action="store_true", help="no store phases")
    parser.add_argument("--embedded", action="store_true", help="smoke-test on the embedded store")
    parser.add_argument(
        "--deletes-only",
        action="store_true",
        help="every line a DELETE of an unknown user: the whole pipeline (store, read back, "
        "parse, validate, resolve, checkpoint) without the writes, to check memory on big files",
    )
    args = parser.parse_args()
    url = os.environ.get("SEG_MONGODB_URL")
    if not (url or args.parse_only or args.embedded):
        sys.exit("set SEG_MONGODB_URL (a real server), or pass --parse-only / --embedded")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.ndjson"
        started = time.perf_counter()
        size = generate(path, args.lines, deletes_only=args.deletes_only)
        took = time.perf_counter() - started
        print(f"generated {args.lines:,} lines, {size / 1e6:.1f} MB in {took:.1f} s")
        print(
            f"python {sys.version.split()[0]}, {os.cpu_count()} cores; peak RSS {rss_mb():.0f} MB"
        )

        started = time.perf_counter()
        good, bad = await parse_and_validate(path)
        elapsed = time.perf_counter() - started
        print(
            f"parse+validate: {args.lines / elapsed:,.0f} lines/s "
            f"({good:,} valid, {bad:,} invalid, {elapsed:.2f} s); peak RSS {rss_mb():.0f} MB"
        )
        if args.parse_only:
            return

        name = f"seg_bench_{uuid.uuid4().hex[:8]}"
        store = await prepare(connect(None if args.embedded else url, name))
        # the raw run gets its own database with the same indexes: both start empty
        raw_store = await prepare(connect(None if args.embedded else url, f"{name}_raw"))
        print(f"store: {store.capabilities.describe()}")
        try:
            started = time.perf_counter()
            job = await whole_import(store, path, args.batch)
            whole = time.perf_counter() - started
            print(
                f"whole import: {args.lines / whole:,.0f} lines/s ({job['status']}, "
                f"{job['applied']:,} applied, {job['failed']:,} failed, {whole:.1f} s, "
                "content stored, read back, parsed, applied, checkpointed); "
                f"peak RSS {rss_mb():.0f} MB"
            )
            if args.deletes_only:
                return  # nothing was written: no raw comparison to make
            started = time.perf_counter()
            done = await raw_upserts(raw_store, path, args.batch)
            raw = time.perf_counter() - started
            print(
                f"raw driver bulk upsert: {done / raw:,.0f} lines/s ({raw:.1f} s); "
                f"peak RSS {rss_mb():.0f} MB"
            )
            print(f"whole import / raw driver: {raw / whole:.2f}x")
        finally:
            for opened in (store, raw_store):
                await opened.client.drop_database(opened.db.name)
                await opened.close()


if __name__ == "__main__":
    asyncio.run(main())
