"""Equality indexes for the embedded store.

mongomock answers every query by testing each document of the collection against the
filter, so a lookup by key costs a scan, and a batch of N upserts costs N scans: upserting
10,000 users one batch after another took 507 s (quadratic). Here, for the lookups the store
makes by identifier (a user's (tenant, userId) or email, a segment's (tenant, id)), the
candidates come from hash indexes instead, and mongomock still tests each candidate against
the whole filter.

So an index may return too many candidates, never too few: documents that cannot be keyed
(a field missing, or holding a list or an object) are always candidates; an insert or a
delete updates the indexes as it happens; and any update in place that could change an
indexed field (a replacement document, a pipeline, an operator on the field other than
setting it to the value the filter already pins) marks that index stale: it is rebuilt from
the documents at its next use (a pass over a dict, not a filter test per document).
Results keep mongomock's natural (insertion) order.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Iterator, Mapping
from typing import Any

from mongomock import filtering
from mongomock.collection import Collection
from mongomock.store import CollectionStore

# collection -> field tuples to index. Identity fields (userId, id) never change; the other
# identifiers can (an upsert sets them), which marks their index stale until its next use.
INDEXED: dict[str, tuple[tuple[str, ...], ...]] = {
    "users": (
        ("tenant", "userId"),
        ("tenant", "emailLower"),
        ("tenant", "emailHash"),
        ("tenant", "userAgentId"),
        ("tenant", "userAccountId"),
    ),
    "segments": (("tenant", "id"),),
}
_MAX_KEYS = 10_000  # beyond this many key combinations, a scan is as good

Key = tuple[Hashable, ...]


class _HashIndex:
    def __init__(self, fields: tuple[str, ...]) -> None:
        self.fields = fields
        self.stale = True
        self._by_key: dict[Key, set[Any]] = {}
        self._key_of: dict[Any, Key | None] = {}
        self._unkeyed: set[Any] = set()

    def rebuild(self, documents: Mapping[Any, Mapping[str, Any]]) -> None:
        self._by_key, self._key_of, self._unkeyed = {}, {}, set()
        for doc_id, doc in documents.items():
            self.add(doc_id, doc)
        self.stale = False

    def keys_for(self, pinned: Mapping[str, list[Any]]) -> list[Key] | None:
        if any(field not in pinned for field in self.fields):
            return None
        values = [pinned[field] for field in self.fields]
        size = 1
        for options in values:
            size *= len(options)
        if size > _MAX_KEYS:
            return None
        return list(itertools.product(*values))

    def ids(self, keys: list[Key]) -> set[Any]:
        found = set(self._unkeyed)
        for key in keys:
            found.update(self._by_key.get(key, ()))
        return found

    def add(self, doc_id: Any, doc: Mapping[str, Any]) -> None:
        self.forget(doc_id)
        values = tuple(doc.get(field, _MISSING) for field in self.fields)
        if all(value is not _MISSING and _plain(value) for value in values):
            self._by_key.setdefault(values, set()).add(doc_id)
            self._key_of[doc_id] = values
        else:
            self._unkeyed.add(doc_id)
            self._key_of[doc_id] = None

    def forget(self, doc_id: Any) -> None:
        key = self._key_of.pop(doc_id, None)
        self._unkeyed.discard(doc_id)
        if key is not None:
            ids = self._by_key.get(key)
            if ids is not None:
                ids.discard(doc_id)
                if not ids:
                    del self._by_key[key]


class IndexedCollectionStore(CollectionStore):
    """A mongomock CollectionStore that also keeps hash indexes of its documents' ids.
    Every write of a document into the store goes through __setitem__ / __delitem__; an
    update in place is reported by the adapter through note_update."""

    def start_index(self, indexes: tuple[tuple[str, ...], ...]) -> None:
        self._indexes = [_HashIndex(fields) for fields in indexes]
        self._renumber()

    def __setitem__(self, key: Any, val: Any) -> None:
        is_new = key not in self._documents
        super().__setitem__(key, val)
        if is_new:
            self._seq[key] = next(self._counter)
        for index in self._indexes:
            if not index.stale:
                index.add(key, val)

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(key)
        self._seq.pop(key, None)
        for index in self._indexes:
            index.forget(key)

    def drop(self) -> None:
        super().drop()
        for index in self._indexes:
            index.stale = True
        self._renumber()

    def note_update(self, query: Any, update: Any) -> None:
        for index in self._indexes:
            if not index.stale and may_change_index(index.fields, query, update):
                index.stale = True

    def candidates(self, query: Mapping[str, Any]) -> list[dict[str, Any]] | None:
        """The documents that may match `query`, in natural order; None when no index
        can narrow it (the caller scans)."""
        if not isinstance(query, Mapping):
            return None
        if "_id" in query and _plain(query["_id"]):
            doc = self._documents.get(query["_id"])
            return [] if doc is None else [doc]
        pinned = _pinned(query)
        branches = query.get("$or")
        if branches is None:
            ids = self._ids(pinned)
        elif not isinstance(branches, list) or not branches:
            return None
        else:
            ids = set()
            for branch in branches:
                found = (
                    self._ids({**pinned, **_pinned(branch)})
                    if isinstance(branch, Mapping)
                    else None
                )
                if found is None:
                    return None
                ids |= found
        if ids is None:
            return None
        ordered = sorted((self._seq[i], i) for i in ids if i in self._documents)
        return [self._documents[i] for _, i in ordered]

    def _ids(self, pinned: Mapping[str, list[Any]]) -> set[Any] | None:
        for index in self._indexes:
            keys = index.keys_for(pinned)
            if keys is not None:
                if index.stale:
                    index.rebuild(self._documents)
                return index.ids(keys)
        return None

    def _renumber(self) -> None:
        self._counter = itertools.count()
        self._seq: dict[Any, int] = {key: next(self._counter) for key in self._documents}


_MISSING = object()


def _plain(value: Any) -> bool:
    """A value equality can look up by hash: not None (it also matches a missing field),
    not a list or object (equality on those has array and operator semantics)."""
    return value is not None and not isinstance(value, list | dict) and isinstance(value, Hashable)


def _pinned(query: Mapping[str, Any]) -> dict[str, list[Any]]:
    """field -> the only values it may hold, from equalities, $eq, $in, and $and branches."""
    pinned: dict[str, list[Any]] = {}
    parts = [query, *(b for b in query.get("$and", ()) if isinstance(b, Mapping))]
    for part in parts:
        for field, condition in part.items():
            if field.startswith("$"):
                continue
            values = _values(condition)
            if values is not None:
                pinned[field] = values
    return pinned


def _values(condition: Any) -> list[Any] | None:
    if isinstance(condition, dict):
        if set(condition) == {"$eq"}:
            condition = condition["$eq"]
        elif set(condition) == {"$in"} and isinstance(condition["$in"], list | tuple):
            values = list(condition["$in"])
            return values if all(_plain(v) for v in values) else None
        else:
            return None
    return [condition] if _plain(condition) else None


def may_change_index(fields: tuple[str, ...], query: Any, update: Any) -> bool:
    """Whether `update` (applied to documents matching `query`) could change an indexed
    field of an existing document. $setOnInsert only shapes new documents, which the
    store indexes as they are inserted."""
    if isinstance(update, list):
        return True  # an aggregation pipeline
    if not isinstance(update, Mapping) or not all(k.startswith("$") for k in update):
        return True  # a replacement document
    for operator, body in update.items():
        if operator == "$setOnInsert" or not isinstance(body, Mapping):
            continue
        for path in body:
            top = path.split(".", 1)[0]
            if top not in fields:
                continue
            pinned = isinstance(query, Mapping) and top in query and query[top] == body[path]
            if operator == "$set" and path == top and pinned and _plain(body[path]):
                continue  # sets the value the filter already pins: no change
            return True
    return False


def install(store: CollectionStore, collection: str) -> IndexedCollectionStore | None:
    """Turns a collection's store into an indexed one (keeping its documents)."""
    indexes = INDEXED.get(collection)
    if indexes is None:
        return None
    if not isinstance(store, IndexedCollectionStore):
        store.__class__ = IndexedCollectionStore
        store.start_index(indexes)
    return store


_scan = Collection._iter_documents


def _iter_documents(self: Collection, query: Any) -> Iterator[dict[str, Any]]:
    store = self._store
    if isinstance(store, IndexedCollectionStore) and query and not store.is_empty:
        found = store.candidates(query)
        if found is not None:
            return (doc for doc in found if filtering.filter_applies(query, doc))
    return _scan(self, query)


# Inert for every store that is not an IndexedCollectionStore (they scan as before).
Collection._iter_documents = _iter_documents
