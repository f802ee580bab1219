"""Straight-line completion (execution/straight_line.py) answers only what the general path
would answer without an error; every other value goes the general way, with its errors.

A small schema whose objects hold what a resolver could hand back (values of the wrong type,
nulls where the schema forbids them, an attribute that raises, a serializer that fails or
returns null): each document runs through Strawberry's execution and twice through the
compiled path (the second from its plan), and the answers must be equal byte for byte.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import field
from typing import Any, NewType

import orjson
import pytest
import strawberry
from graphql import Undefined
from strawberry.schema.config import StrawberryConfig

from seg_graphql.execution import CompiledExecution, completion, straight_line


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


def _serialize_money(value: Any) -> Any:
    if value == "boom":
        raise ValueError("cannot serialize boom")
    if value == "nothing":
        return None
    return f"{value} EUR"


Money = NewType("Money", object)
MONEY = strawberry.scalar(name="Money", serialize=_serialize_money, parse_value=lambda v: v)
# A serializer that consumes what it is given (an iterator of letters).
Letters = NewType("Letters", object)
LETTERS = strawberry.scalar(name="Letters", serialize="".join, parse_value=lambda v: v)


@strawberry.enum
class Mood(enum.Enum):
    """Awaitable members: graphql-core awaits them and names what they give."""

    HAPPY = "happy"
    SAD = "sad"

    def __await__(self) -> Any:
        if False:
            yield
        return Mood.SAD if self is Mood.HAPPY else "no mood"


@strawberry.enum
class Weather(enum.Enum):
    SUN = "sun"
    RAIN = "rain"


Weather.RAIN.__await__ = lambda: iter(())  # type: ignore[method-assign]  # on one member


@strawberry.enum
class Fault(Exception, enum.Enum):
    """Errors as members: graphql-core raises one rather than name it."""

    LOST = "lost"


@strawberry.type
class Tag:
    label: str
    colour: Colour | None = None


@strawberry.type
class Item:
    id: strawberry.ID
    name: str
    note: str | None
    colour: Colour
    price: Money | None
    count: int
    tag: Tag | None = None
    tags: list[Tag | None] = field(default_factory=list)
    strict_tags: list[Tag] = field(default_factory=list)
    mood: Mood | None = None
    weather: Weather | None = None
    letters: Letters | None = None
    fault: Fault | None = None


@strawberry.type
class Edge:
    cursor: str
    node: Item


def good(i: int) -> Item:
    return Item(
        id=strawberry.ID(str(i)),
        name=f"item {i}",
        note=None if i % 2 else "n",
        colour=Colour.RED if i % 2 else Colour.BLUE,
        price=i,
        count=i,
        tag=Tag(label="t", colour=Colour.BLUE),
        tags=[Tag(label="a"), None],
        strict_tags=[Tag(label="s")],
    )


def bent(i: int, **changes: Any) -> Item:
    item = good(i)
    item.__dict__.update(changes)  # what a resolver could hand back, typed or not
    return item


class Later:
    """An awaitable by its class: the general path awaits it for its value."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __await__(self) -> Any:
        if False:
            yield
        return self.value


class AwaitOnInstance:
    """`__await__` in the instance: awaitable to graphql-core's check, not to `await`."""

    def __init__(self) -> None:
        self.__await__ = lambda: iter(())


def without_name(i: int) -> Item:
    item = good(i)
    del item.__dict__["name"]  # reading it raises AttributeError
    return item


# Answered in straight lines alone.
GOOD: dict[str, list[Any]] = {
    "all good": [good(1), good(2)],
    "an enum member": [bent(1, weather=Weather.SUN)],
    "nulls where the schema allows them": [bent(1, note=None, price=None, tag=None, tags=[None])],
    "a tuple for a list": [bent(1, tags=(Tag(label="a"),))],
    "no items": [],
    "a boolean where an Int is due (Int serializes it)": [bent(1, count=True)],
}
# Some object needs the general path.
CASES: dict[str, list[Any] | Callable[[], list[Any]]] = {
    **GOOD,
    "a number where a string is due": [good(1), bent(2, name=7)],
    "null in a non-null string": [bent(1, name=None), good(2)],
    "an enum member's value, not the member": [bent(1, colour="red")],
    "null in a non-null enum": [bent(1, colour=None)],
    "a serializer that raises": [good(1), bent(2, price="boom")],
    "a serializer that returns null": [bent(1, price="nothing")],
    "an error object as a value": [bent(1, note=ValueError("stored error"))],
    "null in a non-null list item": [bent(1, strict_tags=[Tag(label="s"), None])],
    "a list of the wrong kind": [bent(1, tags="not a list")],
    "a nested object of another class": [bent(1, tag={"label": "dict"})],
    "an Int out of range": [bent(1, count=2**40)],
    "an awaitable in the instance": [bent(1, __await__=lambda: iter(()))],
    "an attribute that raises": [good(1), without_name(2)],
    "Undefined in a custom scalar": [bent(1, price=Undefined)],
    "an awaitable in a custom scalar": [good(1), bent(2, price=Later(5))],
    "an instance __await__ in a custom scalar": [bent(1, price=AwaitOnInstance())],
    "a member of an awaitable enum": [bent(1, mood=Mood.HAPPY), bent(2, mood=Mood.SAD)],
    "an enum member with an __await__ of its own": [bent(1, weather=Weather.RAIN)],
    "a member of an enum of errors": [good(1), bent(2, fault=Fault.LOST)],
    # made again for each execution: the iterator is used up once serialized
    "an iterator serialized, then a field the general path must complete": lambda: [
        bent(1, letters=iter("ab"), note=7)
    ],
}


def _items(case: str) -> list[Any]:
    items = CASES[case]
    return items() if callable(items) else items


@strawberry.type
class Query:
    case: strawberry.Private[str]

    @strawberry.field
    def edges(self, info: strawberry.Info) -> list[Edge] | None:
        return [Edge(cursor=f"c{i}", node=item) for i, item in enumerate(_items(self.case))]

    @strawberry.field
    def first(self) -> Edge | None:
        items = _items(self.case)
        return Edge(cursor="c", node=items[-1]) if items else None


SCHEMA = strawberry.Schema(
    query=Query, config=StrawberryConfig(scalar_map={Money: MONEY, Letters: LETTERS})
)
DOCUMENT = """
query Q {
  edges { cursor __typename node { id letters name note colour price count
    tag { label colour } tags { label } strict: strictTags { label } mood weather fault } }
  first { node { ...F } }
}
fragment F on Item { name tag { __typename label } }
"""


def _bytes(result: Any) -> bytes:
    return orjson.dumps({"data": result.data, "errors": [e.formatted for e in result.errors or ()]})


@pytest.fixture
def straight_lines(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often straight lines answered and missed."""
    seen = {"answered": 0, "missed": 0}
    built = straight_line.straight_line

    def counting(fields: Any, plain: Any) -> Any:
        line = built(fields, plain)
        if line is None:
            return None

        def counted(source: Any) -> Any:
            answer = line(source)
            seen["missed" if answer is straight_line.MISS else "answered"] += 1
            return answer

        return counted

    monkeypatch.setattr(completion, "straight_line", counting)
    return seen


@pytest.mark.parametrize("case", list(CASES))
async def test_straight_lines_answer_as_the_general_path(
    case: str, straight_lines: dict[str, int]
) -> None:
    execution = CompiledExecution(SCHEMA)
    root = Query(case=case)
    generic = await SCHEMA.execute(DOCUMENT, root_value=root)
    learnt = await execution.execute(DOCUMENT, root_value=root)  # generic, then planned
    compiled = await execution.execute(DOCUMENT, root_value=root)
    assert execution.stats["compiled"] == 1
    assert _bytes(compiled) == _bytes(generic) == _bytes(learnt)
    if case in GOOD:
        assert straight_lines["missed"] == 0
        assert straight_lines["answered"] >= len(_items(case))
        assert compiled.errors is None
    else:
        assert straight_lines["missed"] > 0


def test_a_descriptor_is_not_read_in_a_straight_line() -> None:
    class WithProperty:
        @property
        def name(self) -> str:
            return "computed"

    class Plain:
        name = "default"

    assert not straight_line._plain_attribute(WithProperty, "name")
    assert straight_line._plain_attribute(Plain, "name")
    assert not straight_line._plain_attribute(Plain, "class")
    assert not straight_line._plain_attribute(Plain, "__dict__")
