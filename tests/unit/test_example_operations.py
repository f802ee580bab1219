"""The example operations (examples/operations, used by the generated SDKs) stay valid against
the schema and within the query limits, so a schema change cannot silently break them."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import OperationDefinitionNode, parse, validate

from seg_graphql.graphql.limits import QueryLimiter, QueryLimits
from seg_graphql.graphql.schema import build_schema

OPERATIONS = sorted((Path(__file__).parents[2] / "examples" / "operations").glob("*.graphql"))
SCHEMA = build_schema()._schema
LIMITS = QueryLimiter(QueryLimits()).rule


def test_the_examples_cover_the_main_use_cases():
    names = {path.stem for path in OPERATIONS}
    assert {
        "CreateSegment",
        "ListSegments",
        "SetUserStatus",
        "CheckMembership",
        "RunImport",
        "ImportJobProgress",
    } <= names


@pytest.mark.parametrize("path", OPERATIONS, ids=lambda p: p.stem)
def test_an_example_operation_is_valid_and_within_the_limits(path):
    document = parse(path.read_text())
    (operation,) = document.definitions
    assert isinstance(operation, OperationDefinitionNode)
    assert operation.name is not None and operation.name.value == path.stem
    assert [e.message for e in validate(SCHEMA, document, [LIMITS])] == []
    assert [e.message for e in validate(SCHEMA, document)] == []
