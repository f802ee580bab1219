"""API keys through GraphQL: createApiKey, revokeApiKey, apiKeys; roles, editableBy ASSIGNED
and tenancy with keys made through the API (the first admin key comes from the operator)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from seg_graphql.app import create_app
from seg_graphql.config import Settings
from seg_graphql.domain import clock
from seg_graphql.domain.models import Role
from tests.api.helpers import upsert
from tests.api.queries import ATTACH, CREATE, GET, LIST, UPDATE
from tests.conftest import GraphQLClient

KEY_FIELDS = "id name prefix role userId teamIds createdAt lastUsedAt expiresAt revoked"
CREATE_KEY = f"""
mutation CreateKey($input: CreateApiKeyInput!) {{
  createApiKey(input: $input) {{
    apiKey {{ {KEY_FIELDS} }} secret userErrors {{ field path message code }}
  }}
}}"""
REVOKE_KEY = f"""
mutation RevokeKey($id: ID!) {{
  revokeApiKey(id: $id) {{ apiKey {{ {KEY_FIELDS} }} userErrors {{ field message code }} }}
}}"""
LIST_KEYS = f"""
query Keys($first: Int! = 50, $after: String) {{
  apiKeys(first: $first, after: $after) {{
    totalCount edges {{ cursor node {{ {KEY_FIELDS} }} }}
    pageInfo {{ hasNextPage hasPreviousPage endCursor }}
  }}
}}"""
VIEWER = "{ viewer { tenant role userId teamIds } }"


async def create_key(admin: GraphQLClient, **input_) -> tuple[dict, GraphQLClient]:
    body = await admin.data(CREATE_KEY, {"input": {"name": "a key", **input_}})
    payload = body["createApiKey"]
    assert payload["userErrors"] == [], payload
    return payload["apiKey"], GraphQLClient(admin.http, payload["secret"])


async def test_create_api_key_returns_the_secret_once_and_it_works(admin):
    body = await admin.data(
        CREATE_KEY,
        {"input": {"name": "ci", "role": "EDITOR", "userId": "u1", "teamIds": ["t2", "t1"]}},
    )
    payload = body["createApiKey"]
    secret = payload["secret"]
    assert payload["userErrors"] == []
    assert secret.startswith("sgk_") and len(secret) > 40
    key = payload["apiKey"]
    assert key["prefix"] == secret[:12]
    assert {k: key[k] for k in ("name", "role", "userId", "teamIds", "revoked")} == {
        "name": "ci",
        "role": "EDITOR",
        "userId": "u1",
        "teamIds": ["t1", "t2"],
        "revoked": False,
    }
    assert key["expiresAt"] is None and key["lastUsedAt"] is None
    editor = GraphQLClient(admin.http, secret)
    assert (await editor.data(VIEWER))["viewer"] == {
        "tenant": "acme",
        "role": "EDITOR",
        "userId": "u1",
        "teamIds": ["t1", "t2"],
    }
    listing = await admin.post(LIST_KEYS)
    assert secret not in str(listing)
    nodes = [e["node"] for e in listing["data"]["apiKeys"]["edges"]]
    mine = next(n for n in nodes if n["id"] == key["id"])
    assert mine["lastUsedAt"] is not None  # used once above: coarse, but set
    assert {k: v for k, v in mine.items() if k != "lastUsedAt"} == {
        k: v for k, v in key.items() if k != "lastUsedAt"
    }
    assert listing["data"]["apiKeys"]["totalCount"] == 2  # the operator's key and this one


async def test_only_admins_manage_keys(client_for):
    for role in (Role.EDITOR, Role.VIEWER):
        other = await client_for("acme", role)
        body = await other.data(CREATE_KEY, {"input": {"name": "x", "role": "ADMIN"}})
        assert body["createApiKey"] == {
            "apiKey": None,
            "secret": None,
            "userErrors": [
                {
                    "field": None,
                    "path": [],
                    "message": "this operation needs the ADMIN role",
                    "code": "FORBIDDEN",
                }
            ],
        }
        revoke = await other.data(REVOKE_KEY, {"id": "0123456789ab"})
        assert revoke["revokeApiKey"]["userErrors"][0]["code"] == "FORBIDDEN"
        listing = await other.post(LIST_KEYS)
        assert listing["data"] is None
        assert listing["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_keys_never_cross_tenants(client_for):
    acme = await client_for("acme", Role.ADMIN)
    globex = await client_for("globex", Role.ADMIN)
    acme_key, acme_editor = await create_key(acme, role="EDITOR")
    _, globex_editor = await create_key(globex, role="ADMIN", name="globex admin 2")
    assert (await globex_editor.data(VIEWER))["viewer"]["tenant"] == "globex"
    await acme.data(CREATE, {"input": {"name": "acme only", "matchAll": True}})
    assert (await globex_editor.data(LIST))["segments"]["totalCount"] == 0
    hidden = await globex_editor.post(GET, {"id": "1"})
    assert hidden["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    # globex cannot see, revoke or list acme's keys
    names = [e["node"]["name"] for e in (await globex.data(LIST_KEYS))["apiKeys"]["edges"]]
    assert "a key" not in names
    body = await globex.data(REVOKE_KEY, {"id": acme_key["id"]})
    assert body["revokeApiKey"]["userErrors"] == [
        {"field": "id", "message": f"API key {acme_key['id']} not found", "code": "NOT_FOUND"}
    ]
    assert (await acme_editor.data(VIEWER))["viewer"]["tenant"] == "acme"


async def test_editable_by_assigned_with_keys_made_through_the_api(admin):
    segment = (
        await admin.data(
            CREATE, {"input": {"name": "team seg", "matchAll": True, "editableBy": "ASSIGNED"}}
        )
    )["createSegment"]["segment"]["id"]
    await upsert(admin, {"userId": "u1"})  # a USER link names a user of the tenant
    for link in ({"type": "USER", "id": "u1"}, {"type": "TEAM", "id": "t1"}):
        attached = await admin.data(ATTACH, {"segmentId": segment, "link": link})
        assert attached["attachSegmentLink"]["userErrors"] == []
    _, by_user = await create_key(admin, role="EDITOR", userId="u1")
    _, by_team = await create_key(admin, role="EDITOR", userId="u9", teamIds=["t1"])
    _, stranger = await create_key(admin, role="EDITOR", userId="u2", teamIds=["t2"])
    _, viewer = await create_key(admin, role="VIEWER", userId="u1")
    for editor, name in ((by_user, "by user"), (by_team, "by team")):
        body = await editor.data(UPDATE, {"id": segment, "input": {"name": name}})
        assert body["updateSegment"]["segment"]["name"] == name
    for refused in (stranger, viewer):
        body = await refused.data(UPDATE, {"id": segment, "input": {"name": "no"}})
        assert [e["code"] for e in body["updateSegment"]["userErrors"]] == ["FORBIDDEN"]
    assert (await viewer.data(GET, {"id": segment}))["segment"]["name"] == "by team"


async def test_create_api_key_validates_its_input(admin):
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    body = await admin.data(
        CREATE_KEY,
        {
            "input": {
                "name": "x" * 201,
                "role": "VIEWER",
                "userId": "has space",
                "expiresAt": past,
            }
        },
    )
    errors = body["createApiKey"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [
        ("input.name", "BAD_USER_INPUT"),
        ("input.userId", "BAD_USER_INPUT"),
    ]
    body = await admin.data(
        CREATE_KEY, {"input": {"name": "late", "role": "VIEWER", "expiresAt": past}}
    )
    assert body["createApiKey"]["userErrors"] == [
        {
            "field": "input.expiresAt",
            "path": ["input", "expiresAt"],
            "message": "expiresAt must be in the future",
            "code": "BAD_USER_INPUT",
        }
    ]
    bad_role = await admin.post(CREATE_KEY, {"input": {"name": "r", "role": "ROOT"}})
    assert bad_role["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    body = await admin.data(REVOKE_KEY, {"id": "not-a-key"})
    assert body["revokeApiKey"]["userErrors"][0]["code"] == "BAD_USER_INPUT"
    assert (await admin.data(LIST_KEYS))["apiKeys"]["totalCount"] == 1


async def test_api_keys_pages(admin):
    for n in range(3):
        await create_key(admin, role="VIEWER", name=f"k{n}")
    first = (await admin.data(LIST_KEYS, {"first": 2}))["apiKeys"]
    assert first["totalCount"] == 4 and first["pageInfo"]["hasNextPage"]
    rest = (await admin.data(LIST_KEYS, {"first": 2, "after": first["pageInfo"]["endCursor"]}))[
        "apiKeys"
    ]
    names = [e["node"]["name"] for e in first["edges"] + rest["edges"]]
    assert names[1:] == ["k0", "k1", "k2"]
    assert not rest["pageInfo"]["hasNextPage"] and rest["pageInfo"]["hasPreviousPage"]
    bad = await admin.post(LIST_KEYS, {"after": "bm9wZQ"})
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.fixture
async def short_cache_http(store):
    """An app whose authentication cache lasts 0.3 s (SEG_AUTH_CACHE_SECONDS)."""
    application = create_app(Settings(auth_cache_seconds=0.3), store=store)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def test_a_revoked_key_is_refused_within_the_cache_time(short_cache_http, make_key):
    admin = GraphQLClient(short_cache_http, await make_key("acme", Role.ADMIN))
    key, editor = await create_key(admin, role="EDITOR")
    assert (await editor.data(VIEWER))["viewer"]["role"] == "EDITOR"
    revoked = (await admin.data(REVOKE_KEY, {"id": key["id"]}))["revokeApiKey"]
    assert revoked["userErrors"] == [] and revoked["apiKey"]["revoked"] is True
    again = (await admin.data(REVOKE_KEY, {"id": key["id"]}))["revokeApiKey"]
    assert again["apiKey"]["revoked"] is True  # idempotent
    await asyncio.sleep(0.4)
    refused = await editor.post(VIEWER)
    assert refused["_status"] == 401
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    listed = [e["node"] for e in (await admin.data(LIST_KEYS))["apiKeys"]["edges"]]
    assert next(k for k in listed if k["id"] == key["id"])["revoked"] is True


async def test_an_expired_key_is_refused(admin, monkeypatch):
    expires = datetime.now(UTC) + timedelta(hours=1)
    key, viewer = await create_key(admin, role="VIEWER", expiresAt=expires.isoformat())
    assert key["expiresAt"] == expires.strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{expires.microsecond // 1000:03d}Z"
    )
    monkeypatch.setattr(clock, "source", lambda: datetime.now(UTC) + timedelta(hours=2))
    refused = await viewer.post(VIEWER)
    assert refused["_status"] == 401
    assert refused["errors"][0]["message"] == "the API key has expired"


async def test_a_key_is_created_at_the_request_clock(admin, monkeypatch):
    """The store takes the creation time from the caller's clock, not the wall clock."""
    from datetime import UTC, datetime

    from seg_graphql.domain import clock

    monkeypatch.setattr(clock, "source", lambda: datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=UTC))
    key, _ = await create_key(admin, role="VIEWER")
    assert key["createdAt"] == "2030-01-02T03:04:05.000Z"  # whole seconds, as before
