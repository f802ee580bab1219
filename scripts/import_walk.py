"""The walk of one USER_SEGMENT import line: which seg_graphql source files it crosses.

Runs on the embedded store, through the public API as the tests do: creates a STATIC
segment, submits a one-line NDJSON import with the runImport mutation and waits for the
job. A profiler (sys.setprofile) records the package's files in first-call order, in two
parts:

  entry  the runImport resolver (a call with a graphql/ module on its stack) and below it;
  line   the import worker applying the batch (a call with jobs/imports.py `_apply` on its
         stack): from the job picking the line to the write in store/ (and the checkpoint).

Only the event loop's thread is traced (the embedded store's own thread is not).

    python scripts/import_walk.py
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from types import FrameType
from typing import Any

from embedded_api import embedded_api, finished_job, submit_import

import seg_graphql

PACKAGE = Path(seg_graphql.__file__).parent

CREATE = """
mutation Create($input: CreateSegmentInput!) {
  createSegment(input: $input) { segment { id } userErrors { message } }
}"""


class Walk:
    def __init__(self) -> None:
        self.entry: dict[str, None] = {}
        self.line: dict[str, None] = {}
        self.tracing_entry = False

    def profile(self, frame: FrameType, event: str, arg: Any) -> None:
        if event != "call":
            return
        name = _relative(frame.f_code.co_filename)
        if name is None:
            return
        applying = in_graphql = False
        caller: FrameType | None = frame
        while caller is not None:
            where = _relative(caller.f_code.co_filename)
            if where == "jobs/imports.py" and caller.f_code.co_name == "_apply":
                applying = True
                break
            if where is not None and where.startswith("graphql/"):
                in_graphql = True
            caller = caller.f_back
        if applying:
            self.line.setdefault(name, None)
        elif self.tracing_entry and in_graphql:
            self.entry.setdefault(name, None)


def _relative(filename: str) -> str | None:
    path = Path(filename)
    if not path.is_relative_to(PACKAGE):
        return None
    return path.relative_to(PACKAGE).as_posix()


async def main() -> None:
    walk = Walk()
    async with embedded_api() as (_, data):
        created = await data(CREATE, {"input": {"name": "VIP", "type": "STATIC"}})
        line = {
            "operation": "UPDATE",
            "segment_id": created["createSegment"]["segment"]["id"],
            "email_hash": "h1",
            "expiration_duration": 60,
        }
        sys.setprofile(walk.profile)
        try:
            walk.tracing_entry = True
            job_id = await submit_import(data, [line])
            walk.tracing_entry = False
            job = await finished_job(data, job_id)
        finally:
            sys.setprofile(None)
    assert job["status"] == "SUCCEEDED" and job["applied"] == 1, job
    print(f"package: {PACKAGE}")
    for title, files in (("GraphQL entry (runImport)", walk.entry), ("import line", walk.line)):
        print(f"\n{title}: {len(files)} files")
        for n, name in enumerate(files, 1):
            print(f"  {n:2d}. {name}")
    print(f"\nboth parts: {len(walk.entry.keys() | walk.line.keys())} distinct files")


if __name__ == "__main__":
    asyncio.run(main())
