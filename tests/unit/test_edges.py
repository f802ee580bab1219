"""Edge.at builds an edge past the dataclass constructor (for speed): for every edge type of
the schema it must give what the constructor gives, and an edge type that grows a field (or
a default, or a __post_init__) must make this test fail rather than `at` silently skip it."""

from __future__ import annotations

import dataclasses

import pytest

from seg_graphql.graphql.connections import Edge
from seg_graphql.graphql.schema import build_schema


def _edge_types() -> list[type]:
    build_schema()  # imports every module declaring an edge type
    found, stack = [], list(Edge.__subclasses__())
    while stack:
        cls = stack.pop()
        found.append(cls)
        stack.extend(cls.__subclasses__())
    return sorted(found, key=lambda cls: cls.__name__)


EDGE_TYPES = _edge_types()


def test_every_connection_of_the_schema_has_its_edge_type_here() -> None:
    names = {cls.__name__ for cls in EDGE_TYPES}
    assert {"SegmentEdge", "UserEdge", "MemberEdge", "MembershipEventEdge"} <= names
    assert {"ApiKeyEdge", "ImportJobEdge"} <= names


@pytest.mark.parametrize("edge_type", EDGE_TYPES, ids=lambda cls: cls.__name__)
def test_at_gives_what_the_constructor_gives(edge_type: type) -> None:
    fields = dataclasses.fields(edge_type)
    assert [f.name for f in fields] == ["cursor", "node"]
    assert all(f.default is dataclasses.MISSING for f in fields)
    assert all(f.default_factory is dataclasses.MISSING for f in fields)
    assert not hasattr(edge_type, "__post_init__")
    node = object()
    built, constructed = edge_type.at("c1", node), edge_type(cursor="c1", node=node)
    assert type(built) is type(constructed)
    assert vars(built) == vars(constructed)
    assert built == constructed
