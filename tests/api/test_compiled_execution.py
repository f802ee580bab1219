"""Compiled execution: repeated query documents run from a plan, with the same answers.

Every request here also runs through the other path and must match byte for byte
(tests/api/conftest.py); these tests add the features a plan must get right, and check
which path served what.
"""

from __future__ import annotations

import httpx

from seg_graphql.app import create_app
from seg_graphql.config import Settings
from tests.api.helpers import add_users, create_segment, gold_rules, set_status, upsert
from tests.conftest import GraphQLClient

FEATURES = """
query Features($withRules: Boolean!, $skipName: Boolean = false, $first: Int = 2,
               $id: ID!) {
  list: segments(first: $first) {
    edges { cursor node { ...Basic ... on Segment @include(if: $withRules) { rules {
      include { field operator value } } } } }
    pageInfo { hasNextPage endCursor }
  }
  again: segments(first: 1) { nodes { __typename id name @skip(if: $skipName) } }
  one: segment(id: $id) { ...Basic userCount members(first: 5) { totalCount nodes { id tier
    badges customFields } } }
  viewer { role tenant teamIds __typename }
}
fragment Basic on Segment { id name type editableBy isDefault createdAt fql }
"""

ERRORS = """
query Errors($id: ID!, $after: String) {
  ok: segment(id: $id) { id }
  missing: segment(id: "99999") { id }
  bad: segment(id: $id) { id members(first: 1000) { totalCount } }
  cursor: segment(id: $id) { name history(after: $after) { totalCount } }
}
"""

MEMBERSHIP = """
query Check($user: String!, $ids: [ID!]!) {
  membership(userId: $user, segmentIds: $ids) {
    user { id segments { id } }
    memberships { segment { id name } isMember state source override listed expiresAt
      weight dataBag statusChangeTimestamp }
  }
}
"""


def _endpoint(app):
    return next(r.endpoint for r in app.routes if r.path == "/graphql").__self__


async def given_data(admin):
    await upsert(
        admin,
        {"userId": "u1", "tier": "gold", "points": 5, "badges": ["a"], "customFields": {"k": 1}},
        {"userId": "u2", "tier": "silver", "email": "u2@example.com"},
    )
    gold = await create_segment(admin, name="Gold", rules=gold_rules())
    listed = await create_segment(admin, name="Listed", type="STATIC")
    await add_users(admin, listed, {"user": "u2", "weight": 0.5, "dataBag": '{"x": 1}'})
    await set_status(admin, "u1", listed, "BLOCK", statusChangeTimestamp=1_700_000_000)
    return gold, listed


async def test_repeated_query_runs_compiled_with_the_same_answer(admin, app):
    gold, _ = await given_data(admin)
    variables = {"withRules": True, "id": gold}
    first = await admin.post(FEATURES, variables)
    stats = _endpoint(app).execution.stats
    assert stats["fallback: first sight"] >= 1 and stats["compiled"] == 0
    second = await admin.post(FEATURES, variables)
    assert stats["compiled"] == 1
    assert first == second and "errors" not in second, second
    data = second["data"]
    assert [e["node"]["name"] for e in data["list"]["edges"]] == ["Gold", "Listed"]
    assert data["list"]["edges"][0]["node"]["rules"]["include"][0]["value"] == "gold"
    assert data["again"]["nodes"] == [{"__typename": "Segment", "id": gold, "name": "Gold"}]
    assert data["one"]["userCount"] == 1 and data["one"]["members"]["nodes"][0]["id"] == "u1"
    assert data["viewer"]["__typename"] == "Viewer"


async def test_skip_and_include_follow_the_variables(admin, app):
    gold, _ = await given_data(admin)
    for with_rules, skip_name in [(False, True), (True, False), (False, True)]:
        body = await admin.post(
            FEATURES, {"withRules": with_rules, "skipName": skip_name, "id": gold, "first": 1}
        )
        node = body["data"]["list"]["edges"][0]["node"]
        assert ("rules" in node) is with_rules
        assert ("name" in body["data"]["again"]["nodes"][0]) is not skip_name
    assert _endpoint(app).execution.stats["compiled"] == 2


async def test_errors_paths_and_locations_match(admin, app):
    gold, _ = await given_data(admin)
    for _ in range(2):
        body = await admin.post(ERRORS, {"id": gold, "after": "not-a-cursor"})
    assert _endpoint(app).execution.stats["compiled"] == 1
    assert body["data"]["ok"] == {"id": gold}
    # non-null connections: their errors null the nearest nullable parent
    assert body["data"]["missing"] is body["data"]["bad"] is body["data"]["cursor"] is None
    # (in the order the fields fail: against a real server, the network's)
    assert sorted((e["path"], e["extensions"]["code"], e["locations"]) for e in body["errors"]) == [
        (["bad", "members"], "BAD_USER_INPUT", [{"line": 5, "column": 30}]),
        (["cursor", "history"], "BAD_USER_INPUT", [{"line": 6, "column": 35}]),
        (["missing"], "NOT_FOUND", [{"line": 4, "column": 3}]),
    ]


async def test_bad_variables_are_reported_by_the_generic_path(admin, app):
    gold, _ = await given_data(admin)
    await admin.post(FEATURES, {"withRules": True, "id": gold})
    body = await admin.post(FEATURES, {"withRules": "yes", "id": gold})
    assert "data" not in body and body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    stats = _endpoint(app).execution.stats
    assert stats["fallback: variables or directives"] == 1 and stats["compiled"] == 0


PAGED = """
query Paged($first: Int!) {
  segments(first: $first) { nodes { id name members(first: 20) { nodes { id email } } } }
}
"""


async def test_a_plan_prices_variable_page_sizes_per_request(admin, app):
    await given_data(admin)
    assert "errors" not in await admin.post(PAGED, {"first": 2})  # learned: planned
    refused = await admin.post(PAGED, {"first": 100})
    assert refused["errors"][0]["extensions"] == {
        "code": "QUERY_LIMIT_EXCEEDED",
        "cost": 1 + 100 * (4 + 20 * 3),
        "maxCost": 5000,
    }
    assert "errors" not in await admin.post(PAGED, {"first": 3})
    stats = _endpoint(app).execution.stats
    assert stats["compiled"] == 1 and stats["fallback: variables or directives"] == 1


async def test_membership_check_lists_coerced_ids(admin, app):
    gold, listed = await given_data(admin)
    for _ in range(2):
        body = await admin.post(MEMBERSHIP, {"user": "u2@example.com", "ids": [listed, gold]})
    assert _endpoint(app).execution.stats["compiled"] == 1
    states = [m["state"] for m in body["data"]["membership"]["memberships"]]
    assert states == ["LISTED", "NONE"], body


async def test_mutations_and_introspection_stay_generic(admin, app):
    await given_data(admin)
    for _ in range(2):
        await admin.data("{ __schema { queryType { name } } }")
    stats = _endpoint(app).execution.stats
    assert stats["fallback: introspection"] == 1 and stats["compiled"] == 0
    assert stats["fallback: mutation operation"] >= 1


async def test_setting_turns_compiled_execution_off(store, make_key):
    app = create_app(Settings(compiled_execution=False), store=store)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            client = GraphQLClient(http, await make_key())
            for _ in range(3):
                assert (await client.data("{ viewer { role } }")) == {"viewer": {"role": "ADMIN"}}
    execution = _endpoint(app).execution
    assert execution.enabled is False
    assert execution.stats == {"fallback: off": 3}


LITERALS = """
query Literals($first: Int!) {
  a: segments(first: 1) { nodes { name } }
  b: segments(first: 1, after: null) { nodes { name } }
  c: segments(first: 2, filter: {name: "Li"}) { nodes { name } }
  d: segments(first: $first) { nodes { name } }
}
"""


async def test_literal_arguments_are_coerced_once_per_plan(admin, app, monkeypatch):
    """Arguments written in the document alone are coerced and converted once, in the plan's
    first run; those fed by variables, or coerced to something mutable (an input object),
    every request."""
    from seg_graphql.execution import fields

    await given_data(admin)
    calls: list[str] = []

    def counted(field_def, node, variables, *rest):
        calls.append(node.alias.value)
        return get_argument_values(field_def, node, variables, *rest)

    def converted(raw, *args, **kwargs):
        conversions.append(raw)
        return convert_arguments(raw, *args, **kwargs)

    get_argument_values = fields.get_argument_values
    convert_arguments = fields.convert_arguments
    conversions: list[dict] = []
    monkeypatch.setattr(fields, "get_argument_values", counted)
    monkeypatch.setattr(fields, "convert_arguments", converted)
    answers = [await admin.post(LITERALS, {"first": first}) for first in (1, 2, 1, 2)]
    assert _endpoint(app).execution.stats["compiled"] == 3
    # every run of the plan (the differential harness may add some) coerces c and d
    assert calls.count("a") == calls.count("b") == 1
    assert calls.count("c") == calls.count("d") >= 3
    # and converts them into Strawberry's values; a and b once
    assert len(conversions) == 2 + 2 * calls.count("c")
    for answer, first in zip(answers, (1, 2, 1, 2), strict=True):
        data = answer["data"]
        assert data["a"] == data["b"] == {"nodes": [{"name": "Gold"}]}
        assert data["c"] == {"nodes": [{"name": "Listed"}]}
        assert [n["name"] for n in data["d"]["nodes"]] == ["Gold", "Listed"][:first]
