"""The import worker on both stores: resuming after a crash (including a replayed batch)
ends where an uninterrupted run ends; stopped jobs are resumed; jobs are claimed once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from seg_graphql.domain.clock import utc_now
from seg_graphql.domain.imports import ImportStatus
from seg_graphql.jobs.imports import ImportWorker
from tests.import_data import commands, outcome, prepare, principal, submit


class Clock:
    def __init__(self):
        self.offset = timedelta()

    def __call__(self):
        return utc_now() + self.offset


def worker(store, owner, clock=None, batch=10, lease=30.0):
    return ImportWorker(
        store, owner, lease_seconds=lease, poll_seconds=0.05, batch_lines=batch, clock=clock
    )


class Crash(Exception):
    pass


async def test_a_crash_mid_batch_resumes_to_the_uninterrupted_result(store):
    content = commands()
    await prepare(store, "ref")
    await prepare(store, "crashy")
    ref_id = await submit(store, "ref", content)
    assert await worker(store, "w-ref").run_pending() == 1
    expected = await outcome(store, "ref", ref_id)
    assert expected[2][0] == "PARTIAL" and expected[2][2] > 50

    job_id = await submit(store, "crashy", content)
    clock = Clock()
    dying = worker(store, "w-dies", clock)
    real_checkpoint = dying.queue.checkpoint
    calls = 0

    async def checkpoint_then_die(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == 4:  # batch 4 is applied, its checkpoint never lands
            raise Crash
        return await real_checkpoint(*args, **kwargs)

    dying.queue.checkpoint = checkpoint_then_die
    await dying.run_pending()  # logs the crash and keeps the lease, as a dead process would
    job = await store.db["imports"].find_one({"tenant": "crashy"})
    assert job["status"] == "RUNNING" and job["checkpointLine"] == 30 and job["owner"] == "w-dies"

    # the lease still holds: nobody else may take the job
    assert await worker(store, "w-next", clock).run_pending() == 0
    clock.offset = timedelta(seconds=31)
    assert await worker(store, "w-next", clock).run_pending() == 1
    assert await outcome(store, "crashy", job_id) == expected
    job = await store.db["imports"].find_one({"tenant": "crashy"})
    assert [c["owner"] for c in job["claims"]] == ["w-dies", "w-next"]
    assert job["recoveries"] == 1
    assert await store.db["import_chunks"].count_documents({}) == 0


async def test_a_stopped_worker_releases_its_job_for_another(store):
    content = commands(seed=3)
    await prepare(store, "ref")
    await prepare(store, "stops")
    ref_id = await submit(store, "ref", content)
    await worker(store, "w-ref").run_pending()
    job_id = await submit(store, "stops", content)

    stopping = worker(store, "w-stops")
    periodic = stopping.periodic()
    real_apply = stopping._apply

    async def apply_then_stop(*args, **kwargs):
        kept = await real_apply(*args, **kwargs)
        periodic._stop.set()  # as at shutdown: finish this batch, then let go
        return kept

    stopping._apply = apply_then_stop
    await stopping.run_pending()
    job = await store.db["imports"].find_one({"tenant": "stops"})
    assert job["status"] == "RUNNING" and job["owner"] is None and job["checkpointLine"] == 10
    assert await worker(store, "w-other").run_pending() == 1
    expected = await outcome(store, "ref", ref_id)
    assert await outcome(store, "stops", job_id) == expected
    job = await store.db["imports"].find_one({"tenant": "stops"})
    assert job.get("recoveries", 0) == 0  # a clean hand-over is not a recovery


async def test_a_job_that_keeps_killing_its_worker_ends_failed(store):
    await prepare(store, "t")
    job_id = await submit(store, "t", commands(lines=5))
    clock = Clock()
    await store.db["imports"].update_one(
        {"tenant": "t"}, {"$set": {"owner": "dead", "recoveries": 5, "status": "RUNNING"}}
    )
    clock.offset = timedelta(seconds=1)
    assert await worker(store, "w", clock).run_pending() == 1
    job = await store.db["imports"].find_one({"tenant": "t"})
    assert job["status"] == ImportStatus.FAILED.value and job["error"]["code"] == "INTERNAL"
    assert str(job["_id"]) == job_id


async def test_two_workers_never_run_the_same_job(store):
    await prepare(store, "t")
    ids = [await submit(store, "t", commands(seed=s, lines=30)) for s in range(4)]
    first, second = worker(store, "w1"), worker(store, "w2")
    ran = await asyncio.gather(first.run_pending(), second.run_pending())
    assert sum(ran) == 4
    async for job in store.db["imports"].find({"tenant": "t"}):
        assert len(job["claims"]) == 1, job["claims"]
        assert job["status"] == "PARTIAL"
    assert len(ids) == 4


async def test_a_claim_lock_left_by_a_dead_worker_runs_out(store):
    await prepare(store, "t")
    await submit(store, "t", commands(lines=5))
    clock = Clock()
    await store.db["leases"].insert_one(  # the claim lease of a worker that died claiming
        {
            "_id": "import-claim#0",
            "name": "import-claim",
            "generation": 0,
            "owner": "dead",
            "leaseUntil": (utc_now() + timedelta(seconds=10)).replace(tzinfo=None),
        }
    )
    assert await worker(store, "w", clock).run_pending() == 0  # held: try again later
    clock.offset = timedelta(seconds=11)
    assert await worker(store, "w", clock).run_pending() == 1
    held = {"leaseUntil": {"$gt": clock().replace(tzinfo=None)}}
    assert await store.db["leases"].count_documents(held) == 0  # released after the claim


async def test_a_failing_batch_is_retried_before_the_job_is_given_up(store, monkeypatch):
    await prepare(store, "ref")
    await prepare(store, "t")
    content = commands(seed=5, lines=40)
    await submit(store, "ref", content)
    await worker(store, "w-ref").run_pending()
    job_id = await submit(store, "t", content)
    from seg_graphql.store.users import UserStore

    real = UserStore.write_entries
    failures = iter([True, False, True])
    injected = []

    async def flaky(self, updates):
        await real(self, updates[: len(updates) // 2])  # half written, then the failure
        if next(failures, False):
            injected.append(len(updates))
            raise ConnectionError("dropped")
        await real(self, updates)

    monkeypatch.setattr(UserStore, "write_entries", flaky)
    monkeypatch.setattr("seg_graphql.jobs.imports.RETRY_DELAY_SECONDS", 0.0)
    assert await worker(store, "w").run_pending() == 1
    assert len(injected) == 2  # the failures did reach the batches' writes
    assert await outcome(store, "t", job_id) == await outcome(store, "ref", None)


async def test_events_of_a_replayed_batch_are_recorded_once(store):
    from bson import ObjectId

    from seg_graphql.domain.history import EventAction, EventSource, MembershipEvent
    from seg_graphql.domain.membership import Snapshot
    from seg_graphql.importer.applier import SegmentLines
    from seg_graphql.services.scope import Scope

    scope = Scope(store, principal("t"))
    lines = SegmentLines(scope, at=utc_now(), import_id=ObjectId(), resumed=False)
    events = [
        MembershipEvent(
            1,
            f"u{n}",
            utc_now(),
            EventAction.LISTED,
            Snapshot(),
            Snapshot(None, True),
            EventSource.IMPORT,
            id=lines.event_id(n),
        )
        for n in (1, 2, 3)
    ]
    await lines.writer._record(events[1:2])
    await lines.writer._record(events)  # line 2's event exists: a duplicate, then the rest
    docs = await store.db["membership_events"].find({"tenant": "t"}).to_list(None)
    assert sorted(d["userId"] for d in docs) == ["u1", "u2", "u3"]
    assert len({lines.event_id(n) for n in range(1, 1000)}) == 999


async def test_abandoned_uploads_are_swept_after_a_day(store):
    from bson import ObjectId

    from seg_graphql.store.imports import ImportStore

    chunks = ImportStore(store.db, "t")
    two_days_ago = utc_now() - timedelta(days=2)
    abandoned, waiting, fresh = (
        ObjectId.from_datetime(two_days_ago),
        ObjectId.from_datetime(two_days_ago + timedelta(seconds=1)),
        ObjectId(),
    )
    for import_id in (abandoned, waiting, fresh):
        await chunks.save_chunks(str(import_id), 0, [b"x", b"x"])
    # a job still waiting for a worker keeps its content, however old
    await store.db["imports"].insert_one({"_id": waiting, "tenant": "t", "status": "PENDING"})
    await worker(store, "w")._sweep_orphans()
    remaining = {d["importId"] async for d in store.db["import_chunks"].find({})}
    assert remaining == {waiting, fresh}


async def test_content_is_stored_and_read_a_few_chunks_per_round_trip(store):
    from seg_graphql.domain.imports import CHUNK_BYTES
    from seg_graphql.store.imports import ImportStore

    content = bytes(range(256)) * (CHUNK_BYTES * 10 // 256 + 7)  # 10 chunks and a bit
    before = store.counter.count
    job_id = await submit(store, "t", content)
    written = store.counter.names[before - store.counter.count :]
    # 11 chunks, 8 per trip, then the job document
    assert sum(name.startswith("insert") for name in written) == 3
    job = await store.db["imports"].find_one({"tenant": "t"})
    assert job["chunkCount"] == 11 and job["sizeBytes"] == len(content)
    before = store.counter.count
    read = b"".join([c async for c in ImportStore(store.db, "t").chunks(job_id, count=11)])
    assert read == content
    assert store.counter.count - before == 2
