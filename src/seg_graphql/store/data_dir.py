"""The embedded store kept on disk: `serve --data-dir DIR` (or SEG_DATA_DIR).

The whole store is loaded at start, and written every SEG_PERSIST_INTERVAL_SECONDS (when
something changed) and at a graceful stop. A write is atomic: a temporary file, fsync, then
rename over the previous one, so a crash leaves the last complete write; what it can lose is
the writes since then (one interval at most). The file is a sequence of BSON documents (types
such as datetimes, ObjectIds and binary content round-trip exactly), framed by a header and
an end record holding the count, so a cut or damaged file is detected, never read as empty.
A lock file (flock) keeps a second server off the same directory.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bson
from bson.codec_options import CodecOptions
from bson.errors import BSONError

from seg_graphql.domain.times import naive_utc
from seg_graphql.store.embedded import EmbeddedClient

log = logging.getLogger(__name__)

DATA_FILE = "store.bson"
LOCK_FILE = "lock"
FORMAT = "seg-graphql embedded store"
VERSION = 1
_CODEC = CodecOptions(tz_aware=False)
_INSERT_BATCH = 1_000


class DataDirError(Exception):
    """The directory cannot be used: locked by another server, unreadable or corrupt."""


class DataDir:
    def __init__(self, path: Path, client: EmbeddedClient) -> None:
        self.path = path
        self.file = path / DATA_FILE
        self._client = client
        self._lock_fd: int | None = None
        self._saved_at_change = -1
        self._writing = asyncio.Lock()

    def open(self) -> int:
        """Locks the directory and loads the store; returns the documents loaded."""
        self._lock()
        try:
            loaded = self._load() if self.file.exists() else 0
        except BaseException:
            self.close()
            raise
        self._saved_at_change = self._client.changes
        return loaded

    @classmethod
    def check(cls, path: Path) -> None:
        """Raises DataDirError now if a server could not start on `path` (another holds it,
        or its file is unreadable), without loading anything."""
        probe = cls(path, EmbeddedClient())
        probe._lock()
        try:
            if probe.file.exists():
                with probe.file.open("rb") as source:
                    probe._read(_records(source), insert=False)
        except DataDirError:
            raise
        except (OSError, BSONError, KeyError, TypeError, ValueError) as exc:
            raise probe._corrupt(f"{type(exc).__name__}: {exc}") from None
        finally:
            probe.close()

    def close(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the flock
            self._lock_fd = None

    async def save(self, *, force: bool = False) -> bool:
        """Writes the store if it changed since the last write; True when it wrote."""
        async with self._writing:
            change = self._client.changes
            if change == self._saved_at_change and not force:
                return False
            records = await self._client.exclusive(self._snapshot)  # a consistent state
            await asyncio.to_thread(self._write, records)
            self._saved_at_change = change
            return True

    def _lock(self) -> None:
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DataDirError(f"cannot use {self.path} as the data directory: {exc}") from None
        fd = os.open(self.path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise DataDirError(
                f"{self.path} is in use by another seg-graphql server (pid {holder}); "
                "one server per data directory"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._lock_fd = fd

    def _snapshot(self) -> list[bytes]:
        # Straight from mongomock's store: encoding to BSON is the copy, so the documents
        # are not copied a first time by a find (10,000 users: 1.2 s through find).
        server = self._client.sync_client._store
        records = [
            bson.encode({"format": FORMAT, "version": VERSION, "savedAt": _now()}),
        ]
        count = 0
        for db_name in server.list_created_database_names():
            databases = server[db_name]
            for name in databases.list_created_collection_names():
                for doc in databases[name].documents:
                    records.append(bson.encode({"db": db_name, "c": name, "d": doc}))
                    count += 1
        records.append(bson.encode({"end": True, "count": count}))
        return records

    def _write(self, records: list[bytes]) -> None:
        temporary = self.file.with_suffix(".tmp")
        with os.fdopen(
            os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb"
        ) as out:
            out.writelines(records)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self.file)
        directory = os.open(self.path, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def _load(self) -> int:
        try:
            with self.file.open("rb") as source:
                return self._read(_records(source), insert=True)
        except DataDirError:
            raise
        except (OSError, BSONError, KeyError, TypeError, ValueError) as exc:
            raise self._corrupt(f"{type(exc).__name__}: {exc}") from None

    def _read(self, records: Iterator[dict[str, Any]], *, insert: bool) -> int:
        header = next(records, None)
        if not header or header.get("format") != FORMAT:
            raise self._corrupt("it is not a seg-graphql store file")
        if header.get("version") != VERSION:
            raise self._corrupt(f"unknown format version {header.get('version')!r}")
        sync = self._client.sync_client
        pending: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for count, record in enumerate(records):  # count: documents before this record
            if record.get("end"):
                if record.get("count") != count:
                    raise self._corrupt(f"{count} documents read, {record.get('count')} written")
                for (db_name, name), docs in pending.items():
                    if docs:
                        sync[db_name][name].insert_many(docs)
                return count
            key = (record["db"], record["c"])
            if not isinstance(key[0], str) or not isinstance(key[1], str):
                raise self._corrupt(f"record {count + 1} names no collection")
            if not isinstance(record["d"], dict):
                raise self._corrupt(f"record {count + 1} holds no document")
            if not insert:
                continue
            pending.setdefault(key, []).append(record["d"])
            if len(pending[key]) >= _INSERT_BATCH:
                sync[key[0]][key[1]].insert_many(pending.pop(key))
        raise self._corrupt("the file ends early (no end record): it was cut short")

    def _corrupt(self, why: str) -> DataDirError:
        return DataDirError(
            f"{self.file} is unreadable ({why}). Refusing to start with an empty store: "
            f"restore the file, or move it away to start afresh."
        )


def _records(source: Any) -> Iterator[dict[str, Any]]:
    return bson.decode_file_iter(source, codec_options=_CODEC)


def _now() -> datetime:
    return naive_utc(datetime.now(UTC))
