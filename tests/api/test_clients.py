"""What clients meet first, over HTTP: introspection, cost with variables, the GraphQL-over-HTTP
media types and status codes, persisted queries, CORS, compression and GraphiQL's assets."""

from __future__ import annotations

import gzip
import hashlib
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import pytest
from graphql import get_introspection_query

from seg_graphql.app import create_app
from seg_graphql.config import Settings
from seg_graphql.domain.models import Role
from seg_graphql.graphql import limits
from tests.api.helpers import create_segment

GRAPHQL_JS_INTROSPECTION = (
    Path(__file__).parent / "data" / "graphql_js_introspection.graphql"
).read_text()
GRAPHQL_RESPONSE = "application/graphql-response+json"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
async def app_with(store) -> AsyncIterator[Callable[..., Any]]:
    """An HTTP client on an app built with the given settings (same store)."""
    opened: list[Any] = []

    async def make(**settings: Any) -> httpx.AsyncClient:
        application = create_app(Settings(**settings), store=store)
        lifespan = application.router.lifespan_context(application)
        await lifespan.__aenter__()
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        client = httpx.AsyncClient(transport=transport, base_url="http://test")
        opened.append((lifespan, client))
        return client

    yield make
    for lifespan, client in opened:
        await client.aclose()
        await lifespan.__aexit__(None, None, None)


async def post(admin, body: dict[str, Any], **headers: str) -> httpx.Response:
    return await admin.http.post(
        "/graphql", json=body, headers={"Authorization": f"Bearer {admin.key}", **headers}
    )


# ---------------------------------------------------------------- introspection


@pytest.mark.parametrize(
    "query",
    [
        GRAPHQL_JS_INTROSPECTION,
        get_introspection_query(
            descriptions=True,
            specified_by_url=True,
            directive_is_repeatable=True,
            schema_description=True,
            input_value_deprecation=True,
        ),
    ],
    ids=["graphql-js", "graphql-core"],
)
async def test_full_introspection_queries_work_for_any_valid_key(client_for, query):
    viewer = await client_for("acme", Role.VIEWER)
    body = await viewer.post(query)
    assert "errors" not in body, body["errors"]
    names = {t["name"] for t in body["data"]["__schema"]["types"]}
    assert {"Segment", "Query", "Mutation", "SegmentConnection"} <= names


async def test_introspection_can_be_turned_off(app_with, make_key):
    http = await app_with(introspection=False)
    response = await http.post(
        "/graphql",
        json={"query": "{ __schema { types { name } } }"},
        headers={"Authorization": f"Bearer {await make_key()}"},
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_hostile_introspection_nesting_is_refused(admin):
    two_levels = '{ __type(name: "Segment") { fields { type { fields { name } } } } }'
    assert "errors" not in await admin.post(two_levels)
    hostile = (
        '{ __type(name: "Segment") { fields { type { fields { type { fields { type { '
        "fields { name } } } } } } } } }"
    )
    body = await admin.post(hostile)
    assert "data" not in body
    assert body["errors"][0]["extensions"] == {
        "code": "QUERY_LIMIT_EXCEEDED",
        "nesting": 4,
        "maxNesting": 2,
    }


async def test_introspection_nesting_counts_through_fragments(admin):
    query = (
        '{ __type(name: "Segment") { ...F } } fragment F on __Type { fields { type { ...G } } } '
        "fragment G on __Type { interfaces { possibleTypes { name } } }"
    )
    body = await admin.post(query)
    assert body["errors"][0]["extensions"]["nesting"] == 3


async def test_introspection_depth_has_its_own_bound(admin):
    def chain(levels: int) -> str:
        inner = "name"
        for _ in range(levels):
            inner = f"ofType {{ {inner} }}"
        return "{ __schema { types { fields { type { " + inner + " } } } } }"

    assert "errors" not in await admin.post(chain(15))  # depth 20
    body = await admin.post(chain(16))
    assert body["errors"][0]["extensions"] == {
        "code": "QUERY_LIMIT_EXCEEDED",
        "depth": 21,
        "maxDepth": 20,
    }


# ---------------------------------------------------------------- cost with variables

PAGED = """
query Paged($first: Int!, $members: Int = 10) {
  segments(first: $first) {
    edges { node { id name members(first: $members) { edges { node { id email tier } } } } }
  }
}
"""


async def test_variable_page_sizes_are_priced_with_their_values(admin):
    # cost = 1 + first * (1 + 1 + (1 + 1 + 1 + members * (1 + 1 + 3)))
    await create_segment(admin, name="one")
    ok = await admin.post(PAGED, {"first": 10})
    assert "errors" not in ok, ok
    assert [e["node"]["name"] for e in ok["data"]["segments"]["edges"]] == ["one"]
    refused = await admin.post(PAGED, {"first": 100})
    assert "data" not in refused
    assert refused["errors"][0]["extensions"] == {
        "code": "QUERY_LIMIT_EXCEEDED",
        "cost": 1 + 100 * (5 + 10 * 5),
        "maxCost": 5000,
    }
    smaller_pages = await admin.post(PAGED, {"first": 100, "members": 1})
    assert "errors" not in smaller_pages, smaller_pages


async def test_cost_with_variables_keeps_the_analysis_cached_per_document(admin):
    with mock.patch.object(limits, "_analyse", wraps=limits._analyse) as analyse:
        for first in (1, 5, 100, 10):
            await admin.post(PAGED, {"first": first})
        assert analyse.call_count == 1


async def test_size_of_segment_counts_is_priced_too(admin):
    query = (
        "query Counts($size: Int!) { segmentCounts(size: $size) { items { segment { "
        "members(first: 100) { edges { node { id } } } } } } }"
    )
    assert "errors" not in await admin.post(query, {"size": 10})  # 1 + 10 * 303
    refused = await admin.post(query, {"size": 20})
    assert refused["errors"][0]["extensions"]["cost"] == 1 + 20 * 303


# ---------------------------------------------------------------- GraphQL over HTTP


async def test_graphql_response_json_is_answered_when_accepted(admin):
    response = await post(admin, {"query": "{ viewer { tenant } }"}, Accept=GRAPHQL_RESPONSE)
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{GRAPHQL_RESPONSE}; charset=utf-8"
    legacy = await post(admin, {"query": "{ viewer { tenant } }"})
    assert legacy.headers["content-type"] == "application/json; charset=utf-8"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"query": "{ viewer { "}, "GRAPHQL_PARSE_FAILED"),
        ({"query": "{ nope }"}, "GRAPHQL_VALIDATION_FAILED"),
        ({"query": "query($n: Int!) { users(first: $n) { totalCount } }"}, "BAD_USER_INPUT"),
    ],
    ids=["parse", "validation", "variables"],
)
async def test_request_errors_are_400_without_data_under_graphql_response_json(admin, body, code):
    strict = await post(admin, body, Accept=GRAPHQL_RESPONSE)
    assert strict.status_code == 400
    assert "data" not in strict.json() and strict.json()["errors"][0]["extensions"]["code"] == code
    legacy = await post(admin, body, Accept="application/json")
    assert legacy.status_code == 200  # the spec's rule for application/json
    assert "data" not in legacy.json()


async def test_unknown_operation_name_is_a_400_with_a_code(admin):
    document = "query A { viewer { tenant } } query B { viewer { role } }"
    unknown = await post(admin, {"query": document, "operationName": "C"})
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["extensions"]["code"] == "OPERATION_RESOLUTION_FAILURE"
    assert "'C'" in unknown.json()["errors"][0]["message"]
    unnamed = await post(admin, {"query": document})
    assert unnamed.status_code == 400
    assert unnamed.json()["errors"][0]["extensions"]["code"] == "OPERATION_RESOLUTION_FAILURE"
    chosen = await post(admin, {"query": document, "operationName": "B"})
    assert chosen.json() == {"data": {"viewer": {"role": "ADMIN"}}}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([{"query": "{ viewer { tenant } }"}] * 2, "batched requests"),
        ({"query": "{ viewer { tenant } }", "extensions": "x"}, "'extensions' must be an object"),
        ({"query": "{ viewer { tenant } }", "extensions": [1]}, "'extensions' must be an object"),
    ],
)
async def test_malformed_requests_are_400(admin, body, message):
    response = await post(admin, body)
    assert response.status_code == 400
    assert message in response.json()["errors"][0]["message"]


# ---------------------------------------------------------------- persisted queries

VIEWER = "query Who { viewer { tenant role } }"


def persisted(digest: str, **extra: Any) -> dict[str, Any]:
    return {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}, **extra}


async def test_unknown_hash_then_query_with_hash_then_hash_alone(admin):
    digest = sha256(VIEWER)
    unknown = await post(admin, persisted(digest))
    assert unknown.status_code == 200
    assert unknown.json()["errors"][0] == {
        "message": "PersistedQueryNotFound",
        "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
    }
    registered = await post(admin, persisted(digest, query=VIEWER))
    assert registered.json() == {"data": {"viewer": {"tenant": "acme", "role": "ADMIN"}}}
    again = await post(admin, persisted(digest))
    assert again.json() == registered.json()
    via_get = await admin.http.get(
        "/graphql",
        params={"extensions": f'{{"persistedQuery":{{"version":1,"sha256Hash":"{digest}"}}}}'},
        headers={"Authorization": f"Bearer {admin.key}"},
    )
    assert via_get.status_code == 200 and via_get.json() == registered.json()


async def test_a_hash_that_is_not_the_querys_is_refused_and_not_registered(admin):
    wrong = sha256("{ something else }")
    response = await post(admin, persisted(wrong, query=VIEWER))
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
    after = await post(admin, persisted(wrong))
    assert after.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_invalid_queries_are_not_registered(admin):
    bad = "{ nope }"
    await post(admin, persisted(sha256(bad), query=bad))
    after = await post(admin, persisted(sha256(bad)))
    assert after.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_persisted_queries_are_per_tenant(admin, client_for):
    await post(admin, persisted(sha256(VIEWER), query=VIEWER))
    other = await client_for("globex")
    response = await post(other, persisted(sha256(VIEWER)))
    assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_the_registry_is_bounded(app_with, make_key):
    http = await app_with(apq_max_entries=2)
    headers = {"Authorization": f"Bearer {await make_key()}"}
    queries = [f"query Q{i} {{ viewer {{ tenant }} }}" for i in range(3)]
    for query in queries:
        await http.post("/graphql", json=persisted(sha256(query), query=query), headers=headers)
    codes = []
    for query in queries:
        body = (await http.post("/graphql", json=persisted(sha256(query)), headers=headers)).json()
        codes.append(body["errors"][0]["extensions"]["code"] if "errors" in body else "OK")
    assert codes == ["PERSISTED_QUERY_NOT_FOUND", "OK", "OK"]


async def test_persisted_queries_can_be_turned_off(app_with, make_key):
    http = await app_with(apq_max_entries=0)
    headers = {"Authorization": f"Bearer {await make_key()}"}
    body = (await http.post("/graphql", json=persisted(sha256(VIEWER)), headers=headers)).json()
    assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"


# ---------------------------------------------------------------- CORS

PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type, apollo-require-preflight, "
    "x-apollo-operation-name, graphql-require-preflight",
}


async def test_cors_preflight_and_request_from_a_configured_origin(app_with, make_key):
    http = await app_with(cors_origins="https://app.example, https://admin.example/")
    for origin in ("https://app.example", "https://admin.example"):
        preflight = await http.options("/graphql", headers={"Origin": origin, **PREFLIGHT})
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == origin
        allowed = preflight.headers["access-control-allow-headers"].lower()
        for header in PREFLIGHT["Access-Control-Request-Headers"].split(", "):
            assert header in allowed
    response = await http.post(
        "/graphql",
        json={"query": "{ viewer { tenant } }"},
        headers={"Origin": "https://app.example", "Authorization": f"Bearer {await make_key()}"},
    )
    assert response.json() == {"data": {"viewer": {"tenant": "acme"}}}
    assert response.headers["access-control-allow-origin"] == "https://app.example"
    assert "x-request-id" in response.headers["access-control-expose-headers"].lower()


async def test_cors_refuses_other_origins(app_with):
    http = await app_with(cors_origins="https://app.example")
    preflight = await http.options(
        "/graphql", headers={"Origin": "https://evil.example", **PREFLIGHT}
    )
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers


async def test_no_cors_by_default(http, admin):
    preflight = await http.options(
        "/graphql", headers={"Origin": "https://app.example", **PREFLIGHT}
    )
    assert preflight.status_code == 405
    response = await post(admin, {"query": "{ viewer { tenant } }"}, Origin="https://app.example")
    assert "access-control-allow-origin" not in response.headers


# ---------------------------------------------------------------- compression


async def test_large_responses_are_gzipped_when_accepted(admin):
    for i in range(30):
        await create_segment(admin, name=f"segment number {i}")
    query = {"query": "{ segments(first: 30) { edges { node { id name type createdAt } } } }"}
    compressed = await post(admin, query, **{"Accept-Encoding": "gzip"})
    assert compressed.headers["content-encoding"] == "gzip"
    assert int(compressed.headers["content-length"]) < len(compressed.content)
    assert "accept-encoding" in compressed.headers["vary"].lower()
    assert len(compressed.json()["data"]["segments"]["edges"]) == 30
    plain = await post(admin, query, **{"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.json() == compressed.json()
    small = await post(admin, {"query": "{ viewer { tenant } }"}, **{"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers


async def test_graphiql_assets_are_gzipped(http):
    response = await http.get("/graphiql/graphiql.min.js", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.headers["content-encoding"] == "gzip"
    raw = await http.get("/graphiql/graphiql.min.js", headers={"Accept-Encoding": "identity"})
    assert gzip.decompress(gzip.compress(raw.content)) == response.content


# ---------------------------------------------------------------- GraphiQL


async def test_graphiql_page_loads_only_its_own_assets(http):
    page = await http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "Bearer &lt;your API key&gt;" in page.text
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/graphiql/") for s in sources), sources
    for source in sources:
        asset = await http.get(source)
        assert asset.status_code == 200, source
        assert "unpkg.com" not in asset.text and "cdn.jsdelivr" not in asset.text
    assert (
        "text/javascript" in (await http.get("/graphiql/graphiql.min.js")).headers["content-type"]
    )
    licences = await http.get("/graphiql/LICENSES.txt")
    assert "MIT" in licences.text and "react@18.3.1" in licences.text


async def test_graphiql_can_be_turned_off(app_with):
    http = await app_with(graphiql=False)
    assert (await http.get("/graphql", headers={"Accept": "text/html"})).status_code == 404
    assert (await http.get("/graphiql/graphiql.min.js")).status_code == 404
