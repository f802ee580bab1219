"""What generated clients and GraphiQL users rely on: descriptions everywhere, scalars with
@specifiedBy, enums where a field has a fixed set of values, `nodes` on every connection, and
one rule for where errors go (SPEC section 7)."""

from __future__ import annotations

import re

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    specified_directives,
    specified_scalar_types,
)

from seg_graphql.domain.models import Role
from seg_graphql.graphql.schema import build_schema
from tests.api.helpers import create_segment, set_status, upsert

SCHEMA: GraphQLSchema = build_schema()._schema


def _own_types() -> list[GraphQLNamedType]:
    return [
        t
        for name, t in SCHEMA.type_map.items()
        if not name.startswith("__") and name not in specified_scalar_types
    ]


def _undescribed() -> list[str]:
    missing = []
    for t in _own_types():
        if not t.description:
            missing.append(t.name)
        if isinstance(t, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            for name, field in t.fields.items():
                if not field.description:
                    missing.append(f"{t.name}.{name}")
                for arg_name, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        missing.append(f"{t.name}.{name}({arg_name})")
        if isinstance(t, GraphQLEnumType):
            missing += [f"{t.name}.{n}" for n, v in t.values.items() if not v.description]
    for directive in SCHEMA.directives:
        if directive not in specified_directives and not directive.description:
            missing.append(f"@{directive.name}")
    return missing


def test_every_type_field_argument_and_enum_value_is_described():
    assert _undescribed() == []


def test_the_walk_sees_every_kind_of_element():
    # A guard on the test above: it must actually visit arguments, input fields and values.
    counts = {"args": 0, "input fields": 0, "enum values": 0}
    for t in _own_types():
        if isinstance(t, GraphQLObjectType):
            counts["args"] += sum(len(f.args) for f in t.fields.values())
        if isinstance(t, GraphQLInputObjectType):
            counts["input fields"] += len(t.fields)
        if isinstance(t, GraphQLEnumType):
            counts["enum values"] += len(t.values)
    assert counts["args"] > 40 and counts["input fields"] > 40 and counts["enum values"] > 60


SPECIFIED_BY = """
query SpecifiedBy { dateTime: __type(name: "DateTime") { specifiedByURL description }
  unix: __type(name: "UnixTimestamp") { specifiedByURL description }
  json: __type(name: "JSON") { specifiedByURL description } }"""


async def test_custom_scalars_say_which_specification_they_follow(admin):
    types = await admin.data(SPECIFIED_BY)
    assert types["dateTime"]["specifiedByURL"] == "https://scalars.graphql.org/andimarek/date-time"
    assert types["unix"]["specifiedByURL"].startswith("https://pubs.opengroup.org/")
    assert types["json"]["specifiedByURL"].startswith("https://ecma-international.org/")
    assert all(t["description"] for t in types.values())


async def test_date_times_are_rfc_3339_in_utc_with_milliseconds(admin):
    segment = await admin.data(
        'mutation { createSegment(input: {name: "s", matchAll: true}) { segment { createdAt } } }'
    )
    created = segment["createSegment"]["segment"]["createdAt"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", created), created


def _list_of(type_: object) -> GraphQLNamedType | None:
    inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    return get_named_type(inner) if isinstance(inner, GraphQLList) else None


def test_every_connection_has_nodes_next_to_edges():
    connections = [t for t in _own_types() if t.name.endswith("Connection")]
    assert len(connections) == 6
    for connection in connections:
        fields = connection.fields
        assert {"edges", "nodes", "pageInfo", "totalCount"} <= fields.keys(), connection.name
        edge = _list_of(fields["edges"].type)
        assert _list_of(fields["nodes"].type) is get_named_type(edge.fields["node"].type)


@pytest.mark.parametrize(
    ("type_name", "field", "enum_name"),
    [
        ("Membership", "source", "MembershipSource"),
        ("MembershipEvent", "action", "MembershipEventAction"),
        ("MembershipEvent", "source", "MembershipEventSource"),
    ],
)
def test_fields_with_a_fixed_set_of_values_are_enums(type_name, field, enum_name):
    assert get_named_type(SCHEMA.type_map[type_name].fields[field].type).name == enum_name


HISTORY = """
query History($id: ID!) {
  segment(id: $id) { history { nodes { action source } } }
  membership(userId: "u1", segmentIds: [$id]) { memberships { source state } }
}"""


async def test_history_and_membership_report_enum_values(admin):
    segment = await create_segment(admin, type="STATIC")
    await upsert(admin, {"userId": "u1"})
    assert (await set_status(admin, "u1", segment, "ADD"))["userErrors"] == []
    data = await admin.data(HISTORY, {"id": segment})
    assert data["segment"]["history"]["nodes"] == [{"action": "OVERRIDE_SET", "source": "API"}]
    assert data["membership"]["memberships"] == [{"source": "OVERRIDE", "state": "ADDED"}]


# Every mutation of the schema, as a VIEWER key would send it: each must answer FORBIDDEN
# in its payload's userErrors, never as a top-level error (SPEC section 7).
ERRORS = "userErrors { field code message }"
AS_VIEWER = {
    "createSegment": 'createSegment(input: {name: "x"})',
    "updateSegment": 'updateSegment(id: $segment, input: {name: "x"})',
    "deleteSegment": "deleteSegment(id: $segment)",
    "attachSegmentLink": 'attachSegmentLink(segmentId: $segment, link: {type: USER, id: "u"})',
    "detachSegmentLink": 'detachSegmentLink(segmentId: $segment, linkId: "1")',
    "upsertUsers": 'upsertUsers(users: [{userId: "u2"}])',
    "setUserStatus": 'setUserStatus(input: {user: "u1", segmentId: $segment, userStatus: BLOCK})',
    "setUserStatuses": (
        'setUserStatuses(inputs: [{user: "u1", segmentId: $segment, userStatus: BLOCK}])'
    ),
    "addSegmentUsers": 'addSegmentUsers(segmentId: $segment, users: [{user: "u1"}])',
    "removeSegmentUsers": 'removeSegmentUsers(segmentId: $segment, users: ["u1"])',
    "refreshEstimates": "refreshEstimates(segmentIds: [$segment])",
    "createApiKey": 'createApiKey(input: {name: "k", role: VIEWER})',
    "revokeApiKey": 'revokeApiKey(id: "1")',
    "runImport": 'runImport(input: {documentType: USER_PROFILE, format: NDJSON, name: "n", '
    'content: "{\\"userId\\": \\"u3\\"}"})',
}


def test_the_forbidden_check_covers_every_mutation():
    assert set(AS_VIEWER) == set(SCHEMA.mutation_type.fields)


@pytest.mark.parametrize("mutation", sorted(AS_VIEWER))
async def test_forbidden_is_a_user_error_in_every_mutation(client_for, mutation):
    admin = await client_for("acme", Role.ADMIN)
    segment = await create_segment(admin, type="STATIC")
    await upsert(admin, {"userId": "u1"})
    viewer = await client_for("acme", Role.VIEWER)
    call = AS_VIEWER[mutation]
    if "$segment" in call:
        document, variables = (
            f"mutation($segment: ID!) {{ {call} {{ {ERRORS} }} }}",
            {"segment": segment},
        )
    else:
        document, variables = f"mutation {{ {call} {{ {ERRORS} }} }}", None
    body = await viewer.post(document, variables)
    assert "errors" not in body, body
    assert [e["code"] for e in body["data"][mutation]["userErrors"]] == ["FORBIDDEN"]


async def test_queries_report_failures_as_top_level_errors_with_a_code(admin):
    body = await admin.post('{ segment(id: "999") { id } }')
    assert body["data"] == {"segment": None}
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert body["errors"][0]["path"] == ["segment"]
