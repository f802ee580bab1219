"""The embedded store: mongomock-motor behind PyMongo Async's calling convention.

mongomock-motor imitates Motor, not PyMongo Async. The differences the store code meets:
`aggregate` must be awaited in PyMongo Async (it returns a cursor directly in the mock),
`bulk_write` in the mock breaks on PyMongo >= 4.11 (UpdateOne grew a `sort` argument), and
`to_list(length)` ignores its length. Every query scans every document, except lookups by
identifier (embedded_index.py): fine for development and tests, never for benchmarks. The
mock runs on its own thread, one call at a time (see embedded_thread.py), so the event loop
stays free while it works.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from mongomock import MongoClient as MockClient
from mongomock_motor import AsyncMongoMockClient
from pymongo import DeleteMany, DeleteOne, InsertOne, ReplaceOne, UpdateMany, UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError
from pymongo.results import BulkWriteResult

from seg_graphql.store.embedded_index import IndexedCollectionStore, install
from seg_graphql.store.embedded_thread import MockThread, run_to_end
from seg_graphql.store.monitoring import CommandCounter

SLICE_SECONDS = 0.05
T = TypeVar("T")


class EmbeddedCursor:
    def __init__(
        self, cursor: Any, counter: CommandCounter | None, name: str, thread: MockThread
    ) -> None:
        self._cursor = cursor
        self._thread = thread
        self._counter = counter  # None when the command already ran (aggregate)
        self._name = name
        self._limit = 0

    def sort(self, *args: Any, **kwargs: Any) -> EmbeddedCursor:
        self._cursor.sort(*args, **kwargs)
        return self

    def skip(self, count: int) -> EmbeddedCursor:
        self._cursor.skip(count)
        return self

    def limit(self, count: int) -> EmbeddedCursor:
        self._limit = count
        self._cursor.limit(count)
        return self

    def batch_size(self, _size: int) -> EmbeddedCursor:
        return self

    async def to_list(self, length: int | None = None) -> list[dict[str, Any]]:
        if self._counter:
            self._counter.tick(self._name)
        items = await self._thread.complete(self._cursor.to_list, None)
        return items[:length] if length else items

    async def __aiter__(self) -> Any:
        for item in await self.to_list(None):  # evaluated on the mock's thread
            yield item

    async def close(self) -> None:
        return None


# Calls that never change data; any other counted call is taken as a change (data_dir.py
# writes the store only when something changed).
_READS = frozenset(
    {"find_one", "count_documents", "estimated_document_count", "distinct", "index_information"}
)


class Changes:
    """A counter of calls that may have changed data."""

    def __init__(self) -> None:
        self.count = 0


# Calls whose (filter, update) arguments may change indexed fields (embedded_index.py).
_UPDATES = frozenset(
    {"update_one", "update_many", "replace_one", "find_one_and_update", "find_one_and_replace"}
)


def _filter_and_update(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any]:
    query = kwargs.get("filter", args[0] if args else None)
    update = kwargs.get("update", kwargs.get("replacement"))
    if update is None and len(args) > 1:
        update = args[1]
    return query, update


class EmbeddedCollection:
    def __init__(
        self,
        inner: Any,
        counter: CommandCounter,
        changes: Changes,
        thread: MockThread,
        index: IndexedCollectionStore | None = None,
    ) -> None:
        self._inner = inner
        self._counter = counter
        self._changes = changes
        self._thread = thread
        self._index = index
        self.name = inner.name

    async def on_thread(self, name: str, /, *args: Any, **kwargs: Any) -> Any:
        """One of the mock's async methods, run on the mock's thread. An update that may
        change an indexed field marks the index stale there, right after it ran and before
        the mock's next call (which may look up by that index)."""
        method = getattr(self._inner, name)
        if name not in _UPDATES or self._index is None:
            return await self._thread.complete(method, *args, **kwargs)
        index, (query, update) = self._index, _filter_and_update(args, kwargs)

        def update_then_note() -> Any:
            try:
                return run_to_end(method, args, kwargs)
            finally:
                index.note_update(query, update)

        return await self._thread.call(update_then_note)

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._inner, name)
        if not inspect.iscoroutinefunction(method):
            return method

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self._counter.tick(name)
            if name not in _READS:
                self._changes.count += 1
            return await self.on_thread(name, *args, **kwargs)

        return counted

    def find(self, *args: Any, **kwargs: Any) -> EmbeddedCursor:
        cursor = self._inner.find(*args, **kwargs)  # lazy: runs at to_list, on the thread
        return EmbeddedCursor(cursor, self._counter, "find", self._thread)

    async def aggregate(self, pipeline: Sequence[dict[str, Any]], **kwargs: Any) -> EmbeddedCursor:
        self._counter.tick("aggregate")
        cursor = await self._thread.call(self._inner.aggregate, list(pipeline), **kwargs)
        return EmbeddedCursor(cursor, None, "aggregate", self._thread)

    async def bulk_write(
        self, requests: Sequence[Any], ordered: bool = True, **_kwargs: Any
    ) -> BulkWriteResult:
        """Applies the operations one by one, with PyMongo's counts and error shape."""
        self._counter.tick("bulkWrite")
        self._changes.count += 1
        counts = {"nInserted": 0, "nMatched": 0, "nModified": 0, "nRemoved": 0, "nUpserted": 0}
        upserted: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        # On the mock's thread, in slices of about SLICE_SECONDS: few hops while operations
        # are quick, and other calls wait for one slice, not for a whole bulk of slow ones.
        done = 0
        while done < len(requests) and not (errors and ordered):
            done = await self._thread.complete(
                self._apply_slice, requests, done, ordered, counts, upserted, errors
            )
        result = {**counts, "upserted": upserted, "writeErrors": errors, "writeConcernErrors": []}
        if errors:
            raise BulkWriteError(result)
        return BulkWriteResult(result, acknowledged=True)

    async def _apply_slice(
        self,
        requests: Sequence[Any],
        start: int,
        ordered: bool,
        counts: dict[str, int],
        upserted: list[dict[str, Any]],
        errors: list[dict[str, Any]],
    ) -> int:
        """Applies operations from `start` for about SLICE_SECONDS; returns where it stopped.
        Never suspends (the mock's methods do not): it runs whole on the mock's thread."""
        until = time.monotonic() + SLICE_SECONDS
        for index in range(start, len(requests)):
            if index > start and time.monotonic() > until:
                return index
            request = requests[index]
            try:
                await self._apply(request, index, counts, upserted)
            except DuplicateKeyError as exc:
                errors.append(
                    {
                        "index": index,
                        "code": 11000,
                        "errmsg": str(exc),
                        "op": getattr(request, "_doc", None) or getattr(request, "_filter", None),
                    }
                )
                if ordered:
                    return index + 1
        return len(requests)

    async def _apply(
        self, request: Any, index: int, counts: dict[str, int], upserted: list[dict[str, Any]]
    ) -> None:
        """On the mock's thread (in _apply_slice): an update marks the indexes it may change
        stale right there, before the next operation looks anything up."""
        try:
            await self._apply_one(request, index, counts, upserted)
        finally:
            if self._index is not None and isinstance(request, UpdateOne | UpdateMany | ReplaceOne):
                self._index.note_update(request._filter, request._doc)

    async def _apply_one(
        self, request: Any, index: int, counts: dict[str, int], upserted: list[dict[str, Any]]
    ) -> None:
        inner = self._inner
        match request:
            case InsertOne():
                await inner.insert_one(request._doc)
                counts["nInserted"] += 1
            case UpdateOne() | UpdateMany() | ReplaceOne():
                upsert = bool(request._upsert)
                if isinstance(request, ReplaceOne):
                    result = await inner.replace_one(request._filter, request._doc, upsert=upsert)
                elif isinstance(request, UpdateOne):
                    result = await inner.update_one(
                        request._filter,
                        request._doc,
                        upsert=upsert,
                        array_filters=request._array_filters,
                    )
                else:
                    result = await inner.update_many(
                        request._filter,
                        request._doc,
                        upsert=upsert,
                        array_filters=request._array_filters,
                    )
                counts["nMatched"] += result.matched_count
                counts["nModified"] += result.modified_count
                if result.upserted_id is not None:
                    counts["nUpserted"] += 1
                    upserted.append({"index": index, "_id": result.upserted_id})
            case DeleteOne():
                counts["nRemoved"] += (await inner.delete_one(request._filter)).deleted_count
            case DeleteMany():
                counts["nRemoved"] += (await inner.delete_many(request._filter)).deleted_count
            case _:
                raise TypeError(f"unsupported bulk operation {type(request).__name__}")


class EmbeddedDatabase:
    def __init__(
        self, inner: Any, counter: CommandCounter, changes: Changes, thread: MockThread, stores: Any
    ) -> None:
        self._inner = inner
        self._counter = counter
        self._changes = changes
        self._thread = thread
        self._stores = stores  # mongomock's DatabaseStore: the collections' documents
        self.name = inner.name
        self._collections: dict[str, EmbeddedCollection] = {}

    def __getitem__(self, name: str) -> EmbeddedCollection:
        return self.get_collection(name)

    def get_collection(self, name: str) -> EmbeddedCollection:
        if name not in self._collections:
            self._collections[name] = EmbeddedCollection(
                self._inner[name],
                self._counter,
                self._changes,
                self._thread,
                install(self._stores[name], name),
            )
        return self._collections[name]

    async def command(self, command: str | dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        name = command if isinstance(command, str) else next(iter(command))
        self._counter.tick(name)
        if name == "ping":
            return {"ok": 1.0}
        return await self._thread.complete(self._inner.command, command, **kwargs)

    async def list_collection_names(self) -> list[str]:
        return await self._thread.complete(self._inner.list_collection_names)

    async def drop_collection(self, name: str) -> None:
        self._changes.count += 1
        self._collections.pop(name, None)
        await self._thread.complete(self._inner.drop_collection, name)


class EmbeddedClient:
    def __init__(self, counter: CommandCounter | None = None) -> None:
        # The synchronous mock underneath, for data_dir.py to load and snapshot the store
        # (on the mock's thread, between two calls: a consistent state).
        self.sync_client = MockClient(tz_aware=False)
        self._inner = AsyncMongoMockClient(mock_mongo_client=self.sync_client)
        self.counter = counter or CommandCounter()
        self._changes = Changes()
        self._thread = MockThread()

    @property
    def changes(self) -> int:
        return self._changes.count

    async def exclusive(self, function: Callable[[], T]) -> T:
        """Runs `function` on the mock's thread, alone: no store call runs meanwhile."""
        return await self._thread.call(function)

    def __getitem__(self, name: str) -> EmbeddedDatabase:
        return EmbeddedDatabase(
            self._inner[name],
            self.counter,
            self._changes,
            self._thread,
            self.sync_client._store[name],
        )

    def get_database(self, name: str) -> EmbeddedDatabase:
        return self[name]

    async def drop_database(self, name: str) -> None:
        self._changes.count += 1
        await self._thread.complete(self._inner.drop_database, name)

    async def close(self) -> None:
        self._thread.close()
