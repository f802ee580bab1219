"""Errors: payload userErrors with paths, masked internal faults, bad requests, query limits."""

from __future__ import annotations

import logging

import pytest

from tests.api.queries import CREATE, GET


async def test_validation_errors_carry_the_path_of_each_bad_field(admin):
    body = await admin.data(
        CREATE,
        {
            "input": {
                "name": "  ",
                "url": "javascript:alert(1)",
                "description": "d" * 2001,
                "rules": {
                    "include": [{"field": "points", "operator": "GT", "value": "many"}],
                    "exclude": [{"field": "nope", "operator": "EQUALS", "value": 1}],
                },
            }
        },
    )
    errors = body["createSegment"]["userErrors"]
    assert {e["field"] for e in errors} == {"input.name", "input.url", "input.description"}
    assert all(e["code"] == "BAD_USER_INPUT" for e in errors)
    rules = await admin.data(
        CREATE,
        {
            "input": {
                "name": "n",
                "rules": {
                    "include": [{"field": "points", "operator": "GT", "value": "many"}],
                    "exclude": [{"field": "nope", "operator": "EQUALS", "value": 1}],
                },
            }
        },
    )
    assert rules["createSegment"]["userErrors"] == [
        {
            "field": "input.rules.include.0.value",
            "path": ["input", "rules", "include", "0", "value"],
            "message": "expected a number, got a string",
            "code": "BAD_USER_INPUT",
        },
        {
            "field": "input.rules.exclude.0.field",
            "path": ["input", "rules", "exclude", "0", "field"],
            "message": "unknown field 'nope'; use one of tier, email, points, xp, coins, badges, "
            "createdAt, updatedAt, segment or customFields.<name>",
            "code": "BAD_USER_INPUT",
        },
    ]
    assert (await admin.data("{ segments { totalCount } }"))["segments"]["totalCount"] == 0


async def test_criteria_limits_name_the_limit(admin):
    criterion = {"field": "points", "operator": "GT", "value": 1}
    body = await admin.data(
        CREATE,
        {
            "input": {
                "name": "n",
                "rules": {"include": [criterion] * 21, "exclude": [criterion] * 21},
            }
        },
    )
    assert body["createSegment"]["userErrors"] == [
        {
            "field": "input.rules.include",
            "path": ["input", "rules", "include"],
            "code": "LIMIT_EXCEEDED",
            "message": "a segment takes at most 20 include criteria (limit), got 21",
        },
        {
            "field": "input.rules.exclude",
            "path": ["input", "rules", "exclude"],
            "code": "LIMIT_EXCEEDED",
            "message": "a segment takes at most 20 exclude criteria (limit), got 21",
        },
    ]
    ok = await admin.data(
        CREATE,
        {
            "input": {
                "name": "n",
                "rules": {"include": [criterion] * 20, "exclude": [criterion] * 20},
            }
        },
    )
    assert ok["createSegment"]["userErrors"] == []


async def test_segment_limit_per_tenant(admin, monkeypatch):
    from seg_graphql.services import segments

    monkeypatch.setattr(segments, "MAX_SEGMENTS", 3)
    for _ in range(3):
        assert (await admin.data(CREATE, {"input": {"matchAll": True, "name": "x"}}))[
            "createSegment"
        ]["userErrors"] == []
    over = await admin.data(CREATE, {"input": {"matchAll": True, "name": "x"}})
    assert over["createSegment"]["userErrors"] == [
        {
            "field": None,
            "path": [],
            "code": "LIMIT_EXCEEDED",
            "message": "a tenant holds at most 3 segments (limit); delete one first",
        }
    ]
    await admin.data('mutation { deleteSegment(id: "1") { deletedId } }')
    again = await admin.data(CREATE, {"input": {"matchAll": True, "name": "x"}})
    assert again["createSegment"]["userErrors"] == []


async def test_the_real_segment_limit_is_1000():
    from seg_graphql.services.segments import MAX_SEGMENTS

    assert MAX_SEGMENTS == 1_000


async def test_internal_faults_are_masked_and_logged(admin, monkeypatch, caplog):
    from seg_graphql.services.segments import SegmentService

    async def explode(self, segment_id, path=("id",)):
        raise RuntimeError("secret connection string mongodb://user:pw@host")

    monkeypatch.setattr(SegmentService, "require", explode)
    with caplog.at_level(logging.ERROR, logger="seg_graphql.errors"):
        response = await admin.http.post(
            "/graphql",
            json={"query": GET, "variables": {"id": "1"}},
            headers={"Authorization": f"Bearer {admin.key}", "X-Request-ID": "req-123"},
        )
    body = response.json()
    assert response.headers["x-request-id"] == "req-123"
    assert body["errors"] == [
        {
            "message": "Internal server error (request id req-123)",
            "locations": [{"line": 2, "column": 23}],
            "path": ["segment"],
            "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-123"},
        }
    ]
    assert "secret" not in response.text and "Traceback" not in response.text
    assert any("req-123" in r.getMessage() and r.exc_info for r in caplog.records)


async def test_field_suggestions_are_off(admin):
    body = await admin.post("{ segmnts { totalCount } }")
    assert body["errors"][0]["message"] == "Cannot query field 'segmnts' on type 'Query'."
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_syntax_error(admin):
    body = await admin.post("{ segments { ")
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


async def test_wrong_variable_type(admin):
    body = await admin.post(CREATE, {"input": {"matchAll": True, "name": 5, "isDefault": "yes"}})
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_missing_required_field(admin):
    body = await admin.post(CREATE, {"input": {}})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "name" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b"not json", "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (b'{"query": 5}', "application/json", 400),
        (b'{"query": "{ viewer { tenant } }", "variables": [1]}', "application/json", 400),
        (b'{"query": "{ viewer { tenant } }"}', "text/plain", 415),
    ],
)
async def test_malformed_requests(admin, content, content_type, status):
    response = await admin.http.post(
        "/graphql",
        content=content,
        headers={"Authorization": f"Bearer {admin.key}", "Content-Type": content_type},
    )
    assert response.status_code == status
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_huge_body_is_refused(admin):
    query = "{ viewer { tenant } }" + " " * 1_100_000
    response = await admin.http.post(
        "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {admin.key}"}
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_get_runs_queries_but_not_mutations(admin):
    headers = {"Authorization": f"Bearer {admin.key}"}
    ok = await admin.http.get(
        "/graphql", params={"query": "{ viewer { tenant } }"}, headers=headers
    )
    assert ok.json() == {"data": {"viewer": {"tenant": "acme"}}}
    refused = await admin.http.get(
        "/graphql",
        params={"query": 'mutation { createSegment(input: {name: "x"}) { segment { id } } }'},
        headers=headers,
    )
    assert refused.status_code == 405
    assert (await admin.data("{ segments { totalCount } }"))["segments"]["totalCount"] == 0


# ---------------------------------------------------------------- query limits


def nested_members(levels: str) -> str:
    # segments, edges, node, members, edges, node, segments, members = 8 levels, then `levels`
    return (
        "{ segments(first: 1) { edges { node { members(first: 1) { edges { node { "
        "segments { members(first: 1) { " + levels + " } } } } } } } } }"
    )


async def test_depth_limit(admin):
    at_limit = await admin.post(nested_members("nodes { id }"))
    assert "errors" not in at_limit
    body = await admin.post(nested_members("edges { node { id } }"))
    assert "data" not in body
    assert body["errors"][0]["extensions"] == {
        "code": "QUERY_LIMIT_EXCEEDED",
        "depth": 11,
        "maxDepth": 10,
    }
    assert "maximum query depth of 10 (depth 11)" in body["errors"][0]["message"]


async def test_depth_counts_through_fragments(admin):
    fragment = "fragment Deep on User { segments { members(first: 1) { edges { node { id } } } } }"
    query = "{ segments(first: 1) { edges { node { members(first: 1) { edges { node { ...Deep } } } } } } } "
    assert "errors" not in await admin.post(query.replace("...Deep", "id"))
    body = await admin.post(query + fragment)
    assert body["errors"][0]["extensions"]["code"] == "QUERY_LIMIT_EXCEEDED"


async def test_alias_limit(admin):
    ok = "{ " + " ".join(f"a{i}: viewer {{ tenant }}" for i in range(15)) + " }"
    assert "errors" not in await admin.post(ok)
    too_many = "{ " + " ".join(f"a{i}: viewer {{ tenant }}" for i in range(16)) + " }"
    body = await admin.post(too_many)
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "QUERY_LIMIT_EXCEEDED"
    assert "16 aliases" in body["errors"][0]["message"]


async def test_token_limit(admin):
    query = "{ viewer { " + " ".join(["tenant"] * 1200) + " } }"
    body = await admin.post(query)
    assert "data" not in body
    assert "token" in body["errors"][0]["message"].lower()
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


async def test_cost_limit(admin):
    cheap = "{ segments(first: 100) { edges { node { id name links { id } } } } }"
    assert "errors" not in await admin.post(cheap)
    fanout = (
        "{ a: segments(first: 100) { edges { node { id name type fql url teamId isDefault "
        "editableBy links { id type targetId createdAt } rules { include { field operator "
        "value } exclude { field operator value } } createdAt updatedAt estimatedSize "
        "technicalName description estimatedSizeUpdatedAt } cursor } totalCount "
        "pageInfo { hasNextPage } } "
        "b: segments(first: 100) { edges { node { id name type fql url teamId isDefault "
        "editableBy links { id type targetId createdAt } rules { include { field operator "
        "value } exclude { field operator value } } } } } }"
    )
    body = await admin.post(fanout)
    assert body["errors"][0]["extensions"] == {
        "code": "QUERY_LIMIT_EXCEEDED",
        "cost": 5802,
        "maxCost": 5000,
    }
    assert "maximum query cost is 5000" in body["errors"][0]["message"]


async def test_fragment_fan_out_is_measured_quickly(admin):
    # 40 fragments, each spreading the next twice: 2^40 paths if walked naively.
    parts = [f"fragment F{i} on Segment {{ ...F{i + 1} ...F{i + 1} }}" for i in range(40)]
    parts.append("fragment F40 on Segment { id }")
    body = await admin.post(
        "{ segments(first: 1) { edges { node { ...F0 } } } } " + " ".join(parts)
    )
    assert "errors" in body


@pytest.mark.parametrize(
    "fql",
    [
        '[{"$where": "sleep(100)"}]',
        [{"email": {"$regex": ".*"}}],
        [{"points": {"$gt": {"$function": {"body": "1"}}}}],
        [{"$expr": {"$eq": [1, 1]}}],
        [{"customFields.$ne": 1}],
    ],
)
async def test_injection_through_the_api_is_refused_and_nothing_is_saved(admin, fql):
    body = await admin.data(CREATE, {"input": {"name": "evil", "fql": fql}})
    payload = body["createSegment"]
    assert payload["segment"] is None
    assert payload["userErrors"][0]["code"] == "BAD_USER_INPUT"
    assert payload["userErrors"][0]["field"].startswith("input.fql")
    assert (await admin.data("{ segments { totalCount } }"))["segments"]["totalCount"] == 0
