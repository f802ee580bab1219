"""Import inputs: what an import holds, its format and its content."""

from __future__ import annotations

import strawberry
from strawberry.file_uploads import Upload

from seg_graphql.graphql.imports.types import ImportDocumentType, ImportFormat


@strawberry.input(description="An import: what it holds, its format, and its content.")
class RunImportInput:
    document_type: ImportDocumentType = strawberry.field(description="What the lines are.")
    format: ImportFormat = strawberry.field(description="How the file is written.")
    name: str = strawberry.field(description="A name for the job, shown in importJobs.")
    content: str | None = strawberry.field(
        default=None,
        description="The file inline; the whole request is bounded by SEG_MAX_BODY_BYTES "
        "(1 MB by default). Give content or file, not both.",
    )
    file: Upload | None = strawberry.field(
        default=None,
        description="The file as a GraphQL multipart upload (send the header "
        "'Apollo-Require-Preflight: true').",
    )
