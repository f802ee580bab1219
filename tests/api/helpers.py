"""Small factories for the membership tests (given ... through the public API)."""

from __future__ import annotations

from seg_graphql.domain.models import Role
from tests.api.membership_queries import ADD_USERS, SET_STATUS, UPSERT
from tests.api.queries import ATTACH, CREATE


async def create_segment(client, **input_):
    if not {"rules", "fql", "matchAll"} & input_.keys() and input_.get("type") != "STATIC":
        input_["matchAll"] = True  # a DYNAMIC segment without criteria must say so
    body = await client.data(CREATE, {"input": {"name": "Segment", **input_}})
    assert body["createSegment"]["userErrors"] == [], body
    return body["createSegment"]["segment"]["id"]


async def upsert(client, *users):
    body = await client.data(UPSERT, {"users": list(users)})
    assert body["upsertUsers"]["userErrors"] == [], body
    return body["upsertUsers"]["users"]


async def set_status(client, user, segment_id, status, **metadata):
    variables = {"input": {"user": user, "segmentId": segment_id, "userStatus": status}}
    if metadata:
        variables["input"]["metadata"] = metadata
    return (await client.data(SET_STATUS, variables))["setUserStatus"]


async def add_users(client, segment_id, *entries):
    body = await client.data(ADD_USERS, {"segmentId": segment_id, "users": list(entries)})
    return body["addSegmentUsers"]


def gold_rules():
    return {"include": [{"field": "tier", "operator": "EQUALS", "value": "gold"}]}


async def editor_of_one_segment(admin, client_for):
    """An EDITOR key (user "ed") that may edit the STATIC segment `mine` (assigned to it)
    and not `locked`: (editor, mine, locked)."""
    mine = await create_segment(admin, name="Mine", type="STATIC", editableBy="ASSIGNED")
    await upsert(admin, {"userId": "ed"})
    await admin.data(ATTACH, {"segmentId": mine, "link": {"type": "USER", "id": "ed"}})
    locked = await create_segment(admin, name="Locked", type="STATIC")
    return await client_for("acme", Role.EDITOR, user_id="ed"), mine, locked
