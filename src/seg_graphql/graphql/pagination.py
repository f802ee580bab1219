"""Relay pagination: opaque cursors over a sort key, and the bounds of `first`."""

from __future__ import annotations

import base64
import binascii
import functools
from typing import Annotated

import strawberry

from seg_graphql.domain.errors import bad_input
from seg_graphql.domain.identifiers import parse_numeric_id

DEFAULT_FIRST = 50  # loyalty seed: "limit default 50"
MAX_FIRST = 100  # loyalty seed: "max 100"
_MAX_KEY = 256

# Argument descriptions shared by every paginated field.
FIRST = f"Page size: 0 to {MAX_FIRST}, default {DEFAULT_FIRST}."
AFTER = "Return the items after this cursor (an edge's cursor, or pageInfo.endCursor)."
# The arguments of every paginated field: `first: First = DEFAULT_FIRST, after: After = None`.
First = Annotated[int, strawberry.argument(description=FIRST)]
After = Annotated[str | None, strawberry.argument(description=AFTER)]


def check_first(first: int, path: str = "first", *, limit: int = MAX_FIRST) -> int:
    if not 0 <= first <= limit:
        raise bad_input(f"first must be between 0 and {limit}, got {first}", (path,))
    return first


def start_key(kind: str, first: int, after: str | None) -> str | None:
    """A paginated field's arguments checked: `first` within bounds, `after` decoded to the
    key the page starts after (None: from the start)."""
    check_first(first)
    return decode_key(kind, after)


@functools.lru_cache(maxsize=4096)  # a page encodes the same cursors request after request
def encode_key(kind: str, key: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode().rstrip("=")


def decode_key(kind: str, cursor: str | None, path: str = "after") -> str | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        prefix, sep, key = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        if prefix == kind and sep and 0 < len(key) <= _MAX_KEY:
            return key
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise bad_input(f"'{cursor[:40]}' is not a valid cursor for this list", (path,))


@functools.lru_cache(maxsize=4096)
def encode_cursor(kind: str, position: int) -> str:
    return encode_key(kind, str(position))


def decode_cursor(kind: str, cursor: str | None, path: str = "after") -> int | None:
    key = decode_key(kind, cursor, path)
    if key is None:
        return None
    position = parse_numeric_id(key)
    if position is None:
        raise bad_input(f"'{cursor[:40]}' is not a valid cursor for this list", (path,))
    return position
