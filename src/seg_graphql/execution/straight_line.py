"""Straight-line completion of objects made of attribute reads alone.

An edge `{ cursor node { id name type } }` is three attribute reads and two dicts, yet the
general completion builds a Path per object, calls through the field loop for each field and
checks each value for errors and awaitables. For an object whose every selected field is a
plain attribute (a built-in scalar, an enum, a custom scalar, `__typename`, or another such
object or a list of them), the plan generates one Python function that reads the attributes
and builds the response dict in the selection's order.

It returns `MISS` for anything it is not sure of: a value of another type, a null where the
schema forbids one, an attribute or a serializer that raises, a serializer's result the
general path would await, a value the general path does not serialize as is (Undefined, an
error, an awaitable) or one a serializer may use up (an iterator). The caller then completes
the object the general way, which reads the attributes again (a plain class's attributes are
instance data: reading is free of side effects, see `_plain_attribute`) and reports exactly
what graphql-core would. So it answers only where the general path would answer the same
value without an error. A serializer may thus be called twice for one value: it must not
change what it is given (an iterator is not given it, see `_serializable`).
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Sequence
from datetime import datetime
from inspect import getattr_static
from typing import Any

from graphql import Undefined

from seg_graphql.execution.runtime import is_awaitable

MISS: Any = object()  # no answer: complete this object the general way

StraightLine = Callable[[Any], Any]

# What a custom scalar's serializer may return for the result to be stored as is (the
# general path awaits anything else that is awaitable).
_STORED_AS_IS = (dict, list, str, int, float, bool)
# Types whose instances a serializer may be given at once (see _serializable): neither
# null, an error, an awaitable nor an iterator, whatever the instance (a JSON scalar's
# lists and dicts, a DateTime's datetimes).
_VALUES = frozenset({bool, int, float, str, bytes, list, tuple, dict, set, frozenset, datetime})


def _serializable(value: Any) -> bool:
    """The general path hands `value` to the scalar's serializer as is, and a miss may have
    it serialized again: not Undefined (the general path answers null), an error (raised),
    an awaitable (awaited first) or an iterator (a serializer such as `"".join` uses it up,
    and the general path after a miss would then serialize an empty one)."""
    return (
        value is not Undefined
        and not isinstance(value, Exception)
        and not is_awaitable(value)
        and not hasattr(type(value), "__next__")
    )


def straight_line(fields: Sequence[Any], plain: type | None) -> StraightLine | None:
    """A function completing one `plain` object with `fields`, or None when some field
    needs more than an attribute read."""
    if plain is None or not fields:
        return None
    names: dict[str, Any] = {
        "MISS": MISS,
        "STORED": _STORED_AS_IS,
        "VALUES": _VALUES,
        "SERIALIZABLE": _serializable,
    }
    body: list[str] = []
    values: list[str] = []
    for index, field in enumerate(fields):
        value = f"v{index}"
        read = _read(field, plain, value, index, names)
        if read is None:
            return None
        body.extend(read)
        values.append(f"{field.key!r}: {value}")
    source = "\n".join(
        [
            "def straight(source):",
            "    try:",
            *(f"        {line}" for line in body),
            "    except Exception:",
            "        return MISS",
            f"    return {{{', '.join(values)}}}",
        ]
    )
    # the source holds only generated names, Python identifiers checked by
    # _plain_attribute and repr()s of response keys
    exec(compile(source, f"<straight line {plain.__name__}>", "exec"), names)
    return names["straight"]


def _read(
    field: Any, plain: type, value: str, index: int, names: dict[str, Any]
) -> list[str] | None:
    """The lines setting `value` to the field's completed value, or returning MISS."""
    if field.typename is not None:
        return [f"{value} = {field.typename!r}"]
    attribute = field.attribute
    if attribute is None or not _plain_attribute(plain, attribute):
        return None
    read = f"{value} = source.{attribute}"
    # the value is none of the expected kind: fine if it is null and the field may be
    other = f"elif {value} is not None: return MISS" if field.nullable else "else: return MISS"
    if field.straight is not None:  # an object of a plain class
        names[f"P{index}"], names[f"F{index}"] = field.plain, field.straight
        test = f"type({value}) is P{index} and '__await__' not in {value}.__dict__"
        return _converted(read, test, value, f"F{index}({value})", f"{value} is MISS", other)
    if field.items is not None:  # a list of such objects
        names[f"L{index}"] = _list_reader(*field.items)
        test = f"type({value}) is list or type({value}) is tuple"
        return _converted(read, test, value, f"L{index}({value})", f"{value} is MISS", other)
    if field.coerce is None:
        return None
    if field.passthrough is not None:  # a string, an ID or a boolean, stored as is
        names[f"T{index}"] = field.passthrough
        return [read, f"if type({value}) is T{index}: pass", other]
    if field.enum_class is not None:  # a member's name, once the general path named it
        names[f"E{index}"], names[f"N{index}"] = field.enum_class, field.enum_names
        test = f"type({value}) is E{index}"
        return _converted(read, test, value, f"N{index}.get({value})", f"{value} is None", other)
    names[f"C{index}"] = field.coerce  # any other scalar: its serializer
    test = f"type({value}) in VALUES or {value} is not None and SERIALIZABLE({value})"
    missed = f"type({value}) not in STORED"
    return _converted(read, test, value, f"C{index}({value})", missed, other)


def _converted(
    read: str, test: str, value: str, conversion: str, missed: str, other: str
) -> list[str]:
    """Read the attribute; when `test` holds, convert it (MISS when `missed` then)."""
    return [
        read,
        f"if {test}:",
        f"    {value} = {conversion}",
        f"    if {missed}: return MISS",
        other,
    ]


def _list_reader(plain: type, straight: StraightLine, nullable: bool) -> Callable[[Any], Any]:
    def read(items: Any) -> Any:
        completed = []
        append = completed.append
        for item in items:
            if type(item) is plain and "__await__" not in item.__dict__:
                item = straight(item)
                if item is MISS:
                    return MISS
            elif item is not None or not nullable:
                return MISS
            append(item)
        return completed

    return read


def _plain_attribute(plain: type, attribute: str) -> bool:
    """`attribute` names instance data: a Python identifier the class does not also define
    as a descriptor (which could compute, or change, on every read)."""
    if not attribute.isidentifier() or keyword.iskeyword(attribute):
        return False
    if attribute.startswith("__"):
        return False  # name-mangled inside the generated function
    found = getattr_static(plain, attribute, None)
    return not hasattr(type(found), "__get__")
