"""Bounds on client JSON (dataBags, custom fields, FQL) checked by walking it, before any
serializer sees it: orjson refuses more than 255 levels with a TypeError, and the stdlib
recurses, so depth must be known first."""

from __future__ import annotations

from typing import Any

MAX_JSON_DEPTH = 32
MAX_JSON_NODES = 10_000


def check_json_shape(
    value: Any, *, max_depth: int = MAX_JSON_DEPTH, max_nodes: int = MAX_JSON_NODES
) -> None:
    """Raises ValueError when `value` nests deeper than `max_depth` or holds more than
    `max_nodes` values in all. Iterative, so no input can exhaust the stack."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    nodes = 0
    while pending:
        item, depth = pending.pop()
        nodes += 1
        if nodes > max_nodes:
            raise ValueError(f"JSON values are limited to {max_nodes} elements")
        if isinstance(item, dict | list):
            if depth > max_depth:
                raise ValueError(f"JSON values nest at most {max_depth} levels")
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
