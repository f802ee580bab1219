"""Small factories for the membership tests (given ... through the public API)."""

from __future__ import annotations

from tests.api.membership_queries import ADD_USERS, SET_STATUS, UPSERT
from tests.api.queries import CREATE


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
