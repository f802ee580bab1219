"""The import worker: claims import jobs under a lease and runs them batch by batch.

Each batch is applied, then checkpointed (counts, first errors, the last line done, and a
renewed lease) in one conditional update. A worker killed mid-batch leaves its lease to run
out; the next claim resumes after the last checkpoint, and the batch in flight is applied
again, which changes nothing it already did (see importer/applier.py). A worker asked to
stop finishes its batch, checkpoints and releases the job for any worker to resume.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId

from seg_graphql.domain.clock import utc_now
from seg_graphql.domain.import_lines import USER_PROFILE_FIELDS, USER_SEGMENT_FIELDS
from seg_graphql.domain.imports import (
    MAX_RECOVERIES,
    DocumentType,
    Format,
    ImportStatus,
    LineProblem,
    Progress,
    principal_of,
)
from seg_graphql.domain.times import aware_utc, naive_utc
from seg_graphql.importer.applier import Applier, ProfileLines, SegmentLines
from seg_graphql.importer.parsers import (
    FileError,
    Item,
    LineError,
    Record,
    parse_csv,
    parse_ndjson,
)
from seg_graphql.jobs.batch_size import BatchSizer
from seg_graphql.jobs.periodic import Periodic
from seg_graphql.services.scope import Scope
from seg_graphql.store.client import Store
from seg_graphql.store.import_queue import ImportQueue
from seg_graphql.store.leases import Leases

log = logging.getLogger(__name__)

BATCH_ATTEMPTS = 4
RETRY_DELAY_SECONDS = 0.2  # doubled at each attempt
CLAIM_LEASE = "import-claim"
CLAIM_LEASE_TTL = timedelta(seconds=10)  # far longer than one claim: a dead claimer's runs out
ORPHAN_AGE = timedelta(days=1)  # an upload older than this without a live job is abandoned
ORPHAN_SWEEP_EVERY = timedelta(hours=1)


class ImportWorker:
    def __init__(
        self,
        store: Store,
        owner: str,
        *,
        lease_seconds: float,
        poll_seconds: float,
        batch_lines: int,
        batch_seconds: float | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.store = store
        self.queue = ImportQueue(store.db, owner)
        self._claims = Leases(store.db, owner, clock=clock)
        self._lease = timedelta(seconds=lease_seconds)
        self._poll = poll_seconds
        self._batch = batch_lines
        self._batch_seconds = batch_seconds
        self._clock = clock or utc_now
        self._periodic: Periodic | None = None
        self._swept_at: datetime | None = None

    def periodic(self) -> Periodic:
        self._periodic = Periodic("imports", self.run_pending, interval_seconds=self._poll)
        return self._periodic

    def wake(self) -> None:
        if self._periodic is not None:
            self._periodic.wake()

    def _stopping(self) -> bool:
        return self._periodic is not None and self._periodic.stopping

    async def run_pending(self) -> int:
        """Runs claimable jobs one after another until none is left; returns how many ran."""
        await self._sweep_orphans()
        ran = 0
        while not self._stopping():
            job = await self._claim()
            if job is None:
                break
            ran += 1
            try:
                await self._run(job)
            except Exception:
                # The lease stays: the job is retried when it runs out, and counted as a
                # recovery, so a job that always fails ends FAILED instead of looping.
                log.exception("import %s failed; it will be retried", job["_id"])
        return ran

    async def _claim(self) -> dict[str, Any] | None:
        """A job for this worker, claimed while holding the claim lease; None when no job
        waits or another worker is claiming right now (it is tried again at the next poll)."""
        if not await self.queue.claimable(self._clock()):
            return None
        if not await self._claims.claim(CLAIM_LEASE, CLAIM_LEASE_TTL):
            return None
        try:
            return await self.queue.claim(self._clock(), self._lease)
        finally:
            await self._claims.release(CLAIM_LEASE)

    async def _sweep_orphans(self) -> None:
        now = self._clock()
        if self._swept_at is not None and now - self._swept_at < ORPHAN_SWEEP_EVERY:
            return
        self._swept_at = now
        removed = await self.queue.delete_orphan_chunks(now - ORPHAN_AGE)
        if removed:
            log.info("removed the stored content of %d abandoned uploads", removed)

    async def _run(self, job: dict[str, Any]) -> None:
        job_id: ObjectId = job["_id"]
        if job.get("owner") is not None:  # its last worker died or lost it mid-job
            recoveries = await self.queue.count_recovery(job_id)
            log.warning("resuming import %s after line %s", job_id, job.get("checkpointLine"))
            if recoveries > MAX_RECOVERIES:
                await self._finish(
                    job,
                    Progress.from_doc(job),
                    ImportStatus.FAILED,
                    LineProblem(0, "INTERNAL", f"the import stopped its worker {recoveries} times"),
                )
                return
        if job.get("startedAt") is None:
            await self.queue.start(job_id, self._clock())
        progress = Progress.from_doc(job)
        scope = self._scope(job)
        applier = self._applier(job, scope, resumed=progress.line > 0)
        items = self._items(job, scope, progress)
        pending: list[Item] = []
        sizer = BatchSizer(self._batch, self._batch_seconds)
        try:
            async for batch in items:
                pending.extend(batch)
                while len(pending) >= sizer.size:
                    size, started = sizer.size, time.monotonic()
                    if not await self._apply(job, applier, pending[:size], progress):
                        return
                    del pending[:size]
                    sizer.record(size, time.monotonic() - started)
                    if self._stopping():
                        await self.queue.release(job_id, self._clock())
                        return
            if pending and not await self._apply(job, applier, pending, progress):
                return
        except FileError as exc:
            await self._finish(
                job, progress, ImportStatus.FAILED, LineProblem(0, exc.code, exc.message)
            )
            return
        if progress.total == 0:
            failure = LineProblem(0, "EMPTY_FILE", "the file holds no lines to import")
            await self._finish(job, progress, ImportStatus.FAILED, failure)
            return
        await self._finish(job, progress, progress.final_status(), None)

    def _scope(self, job: dict[str, Any]) -> Scope:
        """The job's tenant, bound once; every line of a job is applied "at" its submission."""
        at = aware_utc(job["createdAt"])
        return Scope(self.store, principal_of(job), clock=lambda: at)

    def _applier(self, job: dict[str, Any], scope: Scope, *, resumed: bool) -> Applier:
        if job["documentType"] == DocumentType.USER_PROFILE.value:
            return ProfileLines(scope, from_csv=job["format"] == Format.CSV.value)
        return SegmentLines(scope, at=scope.now(), import_id=job["_id"], resumed=resumed)

    def _items(
        self, job: dict[str, Any], scope: Scope, progress: Progress
    ) -> AsyncIterator[list[Item]]:
        chunks = _counted(scope.imports.chunks(job["_id"], count=job["chunkCount"]), progress)
        if job["format"] == Format.CSV.value:
            allowed = (
                USER_PROFILE_FIELDS
                if job["documentType"] == DocumentType.USER_PROFILE.value
                else USER_SEGMENT_FIELDS
            )
            return parse_csv(chunks, allowed, skip_through=progress.line)
        # USER_SEGMENT lines are validated straight from their JSON bytes (see the applier)
        decode = job["documentType"] == DocumentType.USER_PROFILE.value
        return parse_ndjson(chunks, skip_through=progress.line, decode=decode)

    async def _apply(
        self, job: dict[str, Any], applier: Applier, items: list[Item], progress: Progress
    ) -> bool:
        records = [i for i in items if isinstance(i, Record)]
        problems = [
            LineProblem(i.line, i.code, i.message) for i in items if isinstance(i, LineError)
        ]
        applied, failures = await self._apply_with_retries(job, applier, records)
        progress.record(applied, problems + failures, items[-1].line)
        kept = await self.queue.update(
            job["_id"], progress.fields(job["sizeBytes"]), lease_until=self._clock() + self._lease
        )
        if not kept:
            log.warning("import %s: lease lost to another worker; stopping here", job["_id"])
        return kept

    async def _apply_with_retries(
        self, job: dict[str, Any], applier: Applier, records: list[Record]
    ) -> tuple[int, list[LineProblem]]:
        """A batch may be applied again safely, so a failure that may be passing (a dropped
        connection; FerretDB v1 answering concurrent bulk updates without nModified) is
        retried here before the job is left to a later claim."""
        for attempt in range(1, BATCH_ATTEMPTS + 1):
            try:
                return await applier.apply(records)
            except Exception:
                if attempt == BATCH_ATTEMPTS:
                    raise
                log.warning(
                    "import %s: batch ending at line %s failed (attempt %d); retrying",
                    job["_id"],
                    records[-1].line if records else "?",
                    attempt,
                    exc_info=True,
                )
                applier.reset()
                await asyncio.sleep(RETRY_DELAY_SECONDS * 2**attempt)
        raise AssertionError("unreachable")

    async def _finish(
        self,
        job: dict[str, Any],
        progress: Progress,
        status: ImportStatus,
        failure: LineProblem | None,
    ) -> None:
        now = self._clock()
        fields = {
            **progress.fields(job["sizeBytes"]),
            "status": status.value,
            "progress": 1.0,
            "finishedAt": naive_utc(now),
            "error": {"code": failure.code, "message": failure.message} if failure else None,
            "owner": None,
        }
        if await self.queue.update(job["_id"], fields, lease_until=now):
            await self._scope(job).imports.delete_chunks(job["_id"])
            log.info(
                "import %s %s: %d applied, %d failed",
                job["_id"],
                status.value,
                progress.applied,
                progress.failed,
            )


async def _counted(chunks: AsyncIterator[bytes], progress: Progress) -> AsyncIterator[bytes]:
    async for chunk in chunks:
        progress.bytes_read += len(chunk)
        yield chunk
