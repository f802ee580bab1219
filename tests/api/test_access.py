"""API keys, roles and editableBy."""

from __future__ import annotations

import pytest

from seg_graphql.domain.models import Role
from tests.api.helpers import upsert
from tests.api.queries import ATTACH, CREATE, DELETE, GET, LIST, UPDATE


async def test_no_key_is_unauthenticated(http):
    response = await http.post("/graphql", json={"query": "{ viewer { tenant } }"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer sgk_" + "x" * 43,
        "Bearer nope",
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "sgk_" + "y" * 43,
        "Bearer " + "sgk_" + "z" * 5000,
    ],
)
async def test_bad_key_is_unauthenticated(http, header):
    response = await http.post(
        "/graphql", json={"query": "{ viewer { tenant } }"}, headers={"Authorization": header}
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_keys_are_stored_hashed(store, make_key):
    key = await make_key("acme", Role.VIEWER)
    stored = await store.db["api_keys"].find_one({})
    assert key not in str(stored)
    assert stored["hash"] != key and len(stored["hash"]) == 64


async def test_viewer_reports_the_key(client_for):
    editor = await client_for("acme", Role.EDITOR, user_id="u1", teams=["t2", "t1"])
    assert (await editor.data("{ viewer { tenant role userId teamIds } }"))["viewer"] == {
        "tenant": "acme",
        "role": "EDITOR",
        "userId": "u1",
        "teamIds": ["t1", "t2"],
    }


def forbidden_codes(data: dict) -> list[str]:
    """The codes of a mutation payload's userErrors (FORBIDDEN is one, SPEC section 7)."""
    (payload,) = data.values()
    return [e["code"] for e in payload["userErrors"]]


async def test_viewer_reads_but_cannot_write(client_for):
    admin = await client_for("acme", Role.ADMIN)
    await admin.data(CREATE, {"input": {"matchAll": True, "name": "s"}})
    viewer = await client_for("acme", Role.VIEWER)
    assert (await viewer.data(GET, {"id": "1"}))["segment"]["name"] == "s"
    assert (await viewer.data(LIST))["segments"]["totalCount"] == 1
    for query, variables in [
        (CREATE, {"input": {"matchAll": True, "name": "t"}}),
        (UPDATE, {"id": "1", "input": {"name": "t"}}),
        (DELETE, {"id": "1"}),
        (ATTACH, {"segmentId": "1", "link": {"type": "USER", "id": "u"}}),
    ]:
        assert forbidden_codes(await viewer.data(query, variables)) == ["FORBIDDEN"], query
    assert (await admin.data(GET, {"id": "1"}))["segment"]["name"] == "s"
    assert (await admin.data(LIST))["segments"]["totalCount"] == 1


async def test_editor_cannot_edit_admin_only_segments(client_for):
    admin = await client_for("acme", Role.ADMIN)
    await admin.data(CREATE, {"input": {"matchAll": True, "name": "admins", "editableBy": "ADMIN"}})
    editor = await client_for("acme", Role.EDITOR, user_id="u1")
    body = await editor.data(UPDATE, {"id": "1", "input": {"name": "x"}})
    assert body["updateSegment"] == {
        "segment": None,
        "userErrors": [
            {
                "field": None,
                "path": [],
                "message": "segment 1 is editable by admins only",
                "code": "FORBIDDEN",
            }
        ],
    }
    created = await editor.data(CREATE, {"input": {"matchAll": True, "name": "mine"}})
    assert created["createSegment"]["userErrors"] == []


async def test_editable_by_assigned_lets_linked_users_and_teams_edit(client_for):
    admin = await client_for("acme", Role.ADMIN)
    await admin.data(
        CREATE, {"input": {"matchAll": True, "name": "shared", "editableBy": "ASSIGNED"}}
    )
    user = await client_for("acme", Role.EDITOR, user_id="u1")
    team_member = await client_for("acme", Role.EDITOR, user_id="u9", teams=["t7"])
    stranger = await client_for("acme", Role.EDITOR, user_id="u2", teams=["t8"])
    viewer_linked = await client_for("acme", Role.VIEWER, user_id="u1")

    for client in (user, team_member, stranger):
        body = await client.data(UPDATE, {"id": "1", "input": {"name": "x"}})
        assert forbidden_codes(body) == ["FORBIDDEN"]

    await upsert(admin, {"userId": "u1"})
    for link in ({"type": "USER", "id": "u1"}, {"type": "TEAM", "id": "t7"}):
        attached = await admin.data(ATTACH, {"segmentId": "1", "link": link})
        assert attached["attachSegmentLink"]["userErrors"] == []

    for client, name in ((user, "by user"), (team_member, "by team")):
        body = await client.data(UPDATE, {"id": "1", "input": {"name": name}})
        assert body["updateSegment"]["segment"]["name"] == name
    for client in (stranger, viewer_linked):
        body = await client.data(UPDATE, {"id": "1", "input": {"name": "x"}})
        assert forbidden_codes(body) == ["FORBIDDEN"]
