"""Import mutations: runImport (inline content or a multipart upload)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import strawberry

from seg_graphql.domain.errors import bad_input
from seg_graphql.domain.imports import CHUNK_BYTES
from seg_graphql.graphql.context import Info
from seg_graphql.graphql.errors import UserError, user_errors_in
from seg_graphql.graphql.imports.inputs import RunImportInput
from seg_graphql.graphql.imports.types import ImportJob


@strawberry.type(description="The result of runImport.")
class RunImportPayload:
    job: ImportJob | None = strawberry.field(
        default=None, description="The job, PENDING or already further; null on userErrors."
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why the import was refused; empty on success."
    )


@strawberry.type
class ImportMutation:
    @strawberry.mutation(
        description="Starts a bulk import and returns its job at once; the content is stored "
        "before the job starts, and the job survives server restarts."
    )
    @user_errors_in(RunImportPayload)
    async def run_import(
        self,
        info: Info,
        input: Annotated[RunImportInput, strawberry.argument(description="The import.")],
    ) -> RunImportPayload:
        request = {
            "documentType": input.document_type,
            "format": input.format,
            "name": input.name,
        }
        job = await info.context.imports.submit(request, _content_of(input))
        if info.context.wake_imports is not None:
            info.context.wake_imports()
        return RunImportPayload(job=ImportJob.from_domain(job))


def _content_of(input: RunImportInput) -> AsyncIterator[bytes]:
    if (input.content is None) == (input.file is None):
        raise bad_input("give the file as `content` or as `file`, exactly one", ("input",))
    if input.content is not None:
        return _whole(input.content.encode())
    if not callable(getattr(input.file, "read", None)):
        raise bad_input("`file` must be sent as a multipart upload", ("input", "file"))
    return _read_upload(input.file)


async def _whole(data: bytes) -> AsyncIterator[bytes]:
    yield data  # the service cuts it into chunks


async def _read_upload(upload: Any) -> AsyncIterator[bytes]:
    while piece := await upload.read(CHUNK_BYTES):
        yield piece
