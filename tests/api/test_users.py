"""upsertUsers and user(id): profiles, identifiers, per-item errors, tenancy."""

from __future__ import annotations

import pytest

from seg_graphql.domain.models import Role
from tests.api.helpers import upsert
from tests.api.membership_queries import UPSERT, USER


async def test_upsert_creates_and_partially_updates(admin):
    (created,) = await upsert(
        admin,
        {
            "userId": "u1",
            "email": "Ann@Acme.io",
            "tier": "gold",
            "points": 10,
            "badges": ["vip"],
            "customFields": {"plan": "pro", "seats": 3},
        },
    )
    assert created["id"] == "u1" and created["points"] == 10 and created["badges"] == ["vip"]
    assert created["customFields"] == {"plan": "pro", "seats": 3}
    assert created["createdAt"] is not None
    (updated,) = await upsert(admin, {"userId": "u1", "points": 25.5, "tier": None})
    assert updated["points"] == 25.5
    assert updated["tier"] is None
    assert updated["email"] == "Ann@Acme.io" and updated["badges"] == ["vip"]
    assert updated["createdAt"] == created["createdAt"]


async def test_user_by_id_or_email(admin):
    await upsert(admin, {"userId": "u1", "email": "Ann@Acme.io"}, {"userId": "bob@acme.io"})
    assert (await admin.data(USER, {"id": "u1"}))["user"]["id"] == "u1"
    assert (await admin.data(USER, {"id": "ann@ACME.io"}))["user"]["id"] == "u1"
    # no user has this email, but a userId does: the userId is the fallback
    assert (await admin.data(USER, {"id": "bob@acme.io"}))["user"]["id"] == "bob@acme.io"
    missing = await admin.post(USER, {"id": "nobody@acme.io"})
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_good_items_are_saved_when_others_fail(admin):
    body = await admin.data(
        UPSERT,
        {
            "users": [
                {"userId": "ok1", "points": 1},
                {"userId": "bad1", "email": "not-an-email"},
                {"userId": "bad2", "points": 1e20},
                {"userId": "bad3", "customFields": {"nested": {"a": 1}}},
                {"userId": "bad4", "customFields": {"$where": 1}},
                {"userId": "bad5", "badges": ["b"] * 101},
                {"userId": "  "},
                {"userId": "ok2", "tier": "gold"},
                {"userId": "ok1", "points": 2},
            ]
        },
    )
    payload = body["upsertUsers"]
    assert [u["id"] if u else None for u in payload["users"]] == [
        "ok1",
        None,
        None,
        None,
        None,
        None,
        None,
        "ok2",
        None,
    ]
    assert [e["field"] for e in payload["userErrors"]] == [
        "users.1.email",
        "users.2.points",
        "users.3.customFields",
        "users.4.customFields",
        "users.5.badges",
        "users.6.userId",
        "users.8.userId",
    ]
    assert payload["userErrors"][-1]["code"] == "DUPLICATE"
    users = (await admin.data("{ users { totalCount edges { node { id points } } } }"))["users"]
    assert users["totalCount"] == 2
    assert users["edges"][0]["node"] == {"id": "ok1", "points": 1.0}


async def test_an_email_belongs_to_one_user(admin):
    await upsert(admin, {"userId": "u1", "email": "ann@acme.io"})
    body = await admin.data(
        UPSERT,
        {
            "users": [
                {"userId": "u2", "email": "ANN@acme.io"},
                {"userId": "u3", "emailHash": "h1"},
                {"userId": "u4", "emailHash": "h1"},
            ]
        },
    )
    errors = body["upsertUsers"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [
        ("users.0.email", "DUPLICATE"),
        ("users.2.emailHash", "DUPLICATE"),
    ]
    assert "already belongs to user 'u1'" in errors[0]["message"]


async def test_batch_limit(admin):
    body = await admin.data(UPSERT, {"users": [{"userId": f"u{i}"} for i in range(501)]})
    assert body["upsertUsers"]["userErrors"][0]["code"] == "LIMIT_EXCEEDED"
    assert (await admin.data("{ users { totalCount } }"))["users"]["totalCount"] == 0


async def test_wrong_types_are_graphql_errors(admin):
    body = await admin.post(UPSERT, {"users": [{"userId": "u1", "points": "ten"}]})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_viewer_cannot_upsert(client_for):
    viewer = await client_for("acme", Role.VIEWER)
    body = (await viewer.data(UPSERT, {"users": [{"userId": "u1"}]}))["upsertUsers"]
    assert body["users"] == []
    assert [e["code"] for e in body["userErrors"]] == ["FORBIDDEN"]
    assert (await viewer.data("{ users { totalCount } }"))["users"]["totalCount"] == 0


async def test_users_are_per_tenant(client_for):
    acme, globex = await client_for("acme"), await client_for("globex")
    await upsert(globex, {"userId": "u1", "email": "g@globex.io", "tier": "gold"})
    assert (await acme.post(USER, {"id": "u1"}))["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert (await acme.post(USER, {"id": "g@globex.io"}))["errors"][0]["extensions"][
        "code"
    ] == "NOT_FOUND"
    (mine,) = await upsert(acme, {"userId": "u1", "email": "g@globex.io"})
    assert mine["tier"] is None
    assert (await globex.data(USER, {"id": "u1"}))["user"]["email"] == "g@globex.io"
    assert (await acme.data("{ users { totalCount } }"))["users"]["totalCount"] == 1


@pytest.mark.parametrize("first", [0, 1, 2, 3])
async def test_users_pagination(admin, first):
    await upsert(admin, *({"userId": f"u{i}"} for i in range(3)))
    query = "query($first: Int, $after: String) { users(first: $first, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }"
    seen, after = [], None
    for _ in range(5):
        page = (await admin.data(query, {"first": first, "after": after}))["users"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"] or first == 0:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == (["u0", "u1", "u2"] if first else [])
