"""From GraphQL arguments to what services take: ids, and input objects as plain data."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry
from strawberry.types.base import has_object_definition
from strawberry.utils.str_converters import to_camel_case

from seg_graphql.domain.errors import not_found
from seg_graphql.domain.identifiers import parse_numeric_id

SEGMENT_ID = "The segment's id."


def parse_id(raw: str, kind: str = "segment", path: str = "id") -> int:
    """Ids are short integers; anything else cannot exist, so it is NOT_FOUND."""
    parsed = parse_numeric_id(raw)
    if parsed is None:
        raise not_found(kind, raw[:40], (path,))
    return parsed


def optional_field(description: str) -> Any:
    """An optional input field: omitted = unchanged (UNSET), null = cleared."""
    return strawberry.field(default=strawberry.UNSET, description=description)


def to_data(value: Any) -> Any:
    """Strawberry input -> plain JSON-like data keyed by GraphQL names, without unset fields;
    an input that converts itself to a domain value (rules) stays typed."""
    if hasattr(value, "to_domain"):
        return value.to_domain()
    if has_object_definition(value):
        out: dict[str, Any] = {}
        for field in value.__strawberry_definition__.fields:
            item = getattr(value, field.python_name)
            if item is strawberry.UNSET:
                continue
            out[field.graphql_name or to_camel_case(field.python_name)] = to_data(item)
        return out
    if isinstance(value, list):
        return [to_data(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    return value
