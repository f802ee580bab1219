"""Import queries: importJob, importJobs."""

from __future__ import annotations

from typing import Annotated

import strawberry

from seg_graphql.graphql.context import Info
from seg_graphql.graphql.imports.types import (
    ImportJob,
    ImportJobConnection,
    ImportJobEdge,
    ImportStatus,
)
from seg_graphql.graphql.pagination import DEFAULT_FIRST, After, First, encode_key, start_key


@strawberry.type
class ImportQuery:
    @strawberry.field(description="One import job of your tenant; NOT_FOUND otherwise.")
    async def import_job(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The job's id (runImport).")],
    ) -> ImportJob | None:
        return ImportJob.from_domain(await info.context.imports.get(str(id)))

    @strawberry.field(description="Import jobs of your tenant, newest first.")
    async def import_jobs(
        self,
        info: Info,
        first: First = DEFAULT_FIRST,
        after: After = None,
        status: Annotated[
            ImportStatus | None, strawberry.argument(description="Only jobs in this status.")
        ] = None,
    ) -> ImportJobConnection:
        before = start_key("import", first, after)
        service = info.context.imports
        jobs, has_next = await service.page(status=status, before=before, first=first)
        return ImportJobConnection.of(
            jobs,
            lambda job: ImportJobEdge.at(encode_key("import", job.id), ImportJob.from_domain(job)),
            has_next=has_next,
            has_previous=before is not None,
            count_total=lambda: service.count(status),
        )
