"""Membership history, per segment and per user, newest first; and segment criteria."""

from __future__ import annotations

from tests.api.helpers import add_users, create_segment, gold_rules, set_status, upsert
from tests.api.membership_queries import CHECK, REMOVE_USERS, SEGMENT_HISTORY, USER_HISTORY


async def test_every_change_is_recorded_newest_first(admin):
    segment = await create_segment(admin, type="STATIC")
    await upsert(admin, {"userId": "u1"})
    await add_users(admin, segment, {"user": "u1"})
    await set_status(
        admin,
        "u1",
        segment,
        "BLOCK",
        referenceId="ticket-9",
        description="fraud",
        statusChangeTimestamp=1_700_000_000,
    )
    await set_status(admin, "u1", segment, "ADD", statusChangeTimestamp=1_600_000_000)  # stale
    await set_status(admin, "u1", segment, "RESET", statusChangeTimestamp=1_700_000_100)
    await admin.data(REMOVE_USERS, {"segmentId": segment, "users": ["u1"]})

    history = (await admin.data(SEGMENT_HISTORY, {"id": segment}))["segment"]["history"]
    assert history["totalCount"] == 4  # the stale ADD changed nothing and is not recorded
    nodes = [e["node"] for e in history["edges"]]
    assert [n["action"] for n in nodes] == ["UNLISTED", "OVERRIDE_RESET", "OVERRIDE_SET", "LISTED"]
    block = nodes[2]
    assert block["before"] == {"override": None, "listed": True}
    assert block["after"] == {"override": "BLOCK", "listed": True}
    assert (block["referenceId"], block["description"], block["statusChangeTimestamp"]) == (
        "ticket-9",
        "fraud",
        1_700_000_000,
    )
    assert block["source"] == "API" and block["actorKeyId"] and block["userId"] == "u1"

    first_page = (await admin.data(SEGMENT_HISTORY, {"id": segment, "first": 3}))["segment"][
        "history"
    ]
    rest = await admin.data(
        SEGMENT_HISTORY, {"id": segment, "first": 3, "after": first_page["pageInfo"]["endCursor"]}
    )
    assert [e["node"]["action"] for e in rest["segment"]["history"]["edges"]] == ["LISTED"]
    assert rest["segment"]["history"]["pageInfo"]["hasNextPage"] is False

    user = (await admin.data(USER_HISTORY, {"id": "u1"}))["user"]["history"]
    assert [e["node"]["action"] for e in user["edges"]] == [n["action"] for n in nodes]


async def test_history_is_per_tenant(client_for):
    globex = await client_for("globex")
    segment = await create_segment(globex, type="STATIC")
    await upsert(globex, {"userId": "u1"})
    await add_users(globex, segment, {"user": "u1"})
    acme = await client_for("acme")
    mine = await create_segment(acme, type="STATIC")
    assert mine == segment  # same id, other tenant
    history = (await acme.data(SEGMENT_HISTORY, {"id": mine}))["segment"]["history"]
    assert history["totalCount"] == 0 and history["edges"] == []


async def test_segment_criteria_follow_the_other_segments_membership(admin):
    gold = await create_segment(admin, name="gold", rules=gold_rules())
    vip = await create_segment(admin, name="vip", type="STATIC")
    gold_not_vip = await create_segment(
        admin,
        name="gold, not vip",
        rules={
            "include": [{"field": "segment", "operator": "EQUALS", "value": gold}],
            "exclude": [{"field": "segment", "operator": "EQUALS", "value": vip}],
        },
    )
    await upsert(
        admin,
        {"userId": "a", "tier": "gold"},
        {"userId": "b", "tier": "gold"},
        {"userId": "c", "tier": "silver"},
    )
    await add_users(admin, vip, {"user": "b"})
    await set_status(admin, "c", gold, "ADD")  # forced into gold, so into the derived segment

    async def members(segment_id):
        body = await admin.data(
            "query($id: ID!) { segment(id: $id) { userCount members { edges { node { id } } } } }",
            {"id": segment_id},
        )
        return [e["node"]["id"] for e in body["segment"]["members"]["edges"]], body["segment"][
            "userCount"
        ]

    assert await members(gold_not_vip) == (["a", "c"], 2)
    check = await admin.data(CHECK, {"userId": "b", "segmentIds": [gold, vip, gold_not_vip]})
    assert [m["state"] for m in check["membership"]["memberships"]] == ["MATCHED", "LISTED", "NONE"]
    await set_status(admin, "a", gold, "BLOCK")
    assert await members(gold_not_vip) == (["c"], 1)


async def test_deleting_a_segment_removes_its_entries_but_keeps_its_history(admin, store):
    segment = await create_segment(admin, type="STATIC")
    await upsert(admin, {"userId": "u1"})
    await add_users(admin, segment, {"user": "u1"})
    await admin.data("mutation($id: ID!) { deleteSegment(id: $id) { deletedId } }", {"id": segment})
    doc = await store.db["users"].find_one({"userId": "u1"})
    assert f"s{segment}" not in (doc.get("m") or {}) and int(segment) not in (doc.get("segs") or [])
    user = (await admin.data(USER_HISTORY, {"id": "u1"}))["user"]["history"]
    assert [e["node"]["action"] for e in user["edges"]] == ["LISTED"]


async def test_history_refuses_a_cursor_it_did_not_issue(admin):
    segment = await create_segment(admin, matchAll=True)
    from seg_graphql.graphql.pagination import encode_key

    for cursor in ("garbage", encode_key("event", "not-an-object-id"), encode_key("user", "u1")):
        body = await admin.post(SEGMENT_HISTORY, {"id": segment, "after": cursor})
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert body["errors"][0]["extensions"]["field"] == "after"
