"""GraphQL multipart requests (the graphql-multipart-request-spec), bounded and CSRF-safe.

A multipart form is a request a browser may send cross-site without a preflight, so one is
accepted only with a header no plain form can set (Apollo's convention). The body is
counted as it arrives and refused past the limit; file parts are spooled to disk by the
form parser, so memory stays bounded whatever the upload's size.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from strawberry.file_uploads.utils import replace_placeholders_with_files

PREFLIGHT_HEADERS = (
    "apollo-require-preflight",
    "x-apollo-operation-name",
    "graphql-require-preflight",
)
MAX_FILES = 1


class BodyTooLarge(Exception):
    pass


class BadMultipart(Exception):
    pass


def has_preflight_header(request: Request) -> bool:
    return any(request.headers.get(name, "").strip() for name in PREFLIGHT_HEADERS)


async def read_multipart(request: Request, max_bytes: int) -> tuple[dict[str, Any], FormData]:
    """The GraphQL params with the uploads in place of their placeholders, and the form
    (close it after the operation ran: it owns the spooled files)."""
    bounded = Request(request.scope, receive=_bounded(request.receive, max_bytes))
    form = await bounded.form(max_files=MAX_FILES, max_fields=2)
    try:
        operations = _json_field(form, "operations")
        files_map = _json_field(form, "map")
        if not isinstance(operations, dict):
            raise BadMultipart(
                "'operations' must be one GraphQL request (batches are not accepted)"
            )
        if not isinstance(files_map, dict) or not all(
            isinstance(paths, list) and all(isinstance(p, str) for p in paths)
            for paths in files_map.values()
        ):
            raise BadMultipart("'map' must map each file field to a list of variable paths")
        files = {}
        for name in files_map:
            part = form.get(name)
            if not isinstance(part, UploadFile):
                raise BadMultipart(f"the file part '{name[:40]}' named in 'map' is missing")
            files[name] = part
        try:
            operations = replace_placeholders_with_files(operations, files_map, files)
        except (KeyError, IndexError, TypeError, ValueError):
            raise BadMultipart(
                "a path in 'map' does not name a variable of the operation"
            ) from None
    except BaseException:
        await form.close()
        raise
    return operations, form


def _json_field(form: FormData, name: str) -> Any:
    raw = form.get(name)
    if not isinstance(raw, str):
        raise BadMultipart(f"the multipart form needs a '{name}' field")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise BadMultipart(f"'{name}' is not valid JSON") from None


def _bounded(
    receive: Callable[[], Awaitable[dict[str, Any]]], limit: int
) -> Callable[[], Awaitable[dict[str, Any]]]:
    seen = 0

    async def counted() -> dict[str, Any]:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge
        return message

    return counted
