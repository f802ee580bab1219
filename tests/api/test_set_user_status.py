"""setUserStatus / setUserStatuses: ADD, BLOCK, RESET with Village's metadata."""

from __future__ import annotations

import time

import pytest

from seg_graphql.domain.models import Role
from tests.api.helpers import add_users, create_segment, gold_rules, set_status, upsert
from tests.api.membership_queries import CHECK, SET_STATUS, SET_STATUSES, USER


async def state(client, user, segment_id):
    body = await client.data(CHECK, {"userId": user, "segmentIds": [segment_id]})
    return body["membership"]["memberships"][0]


async def test_add_block_reset_on_a_dynamic_segment(admin):
    segment = await create_segment(admin, rules=gold_rules())
    await upsert(
        admin,
        {"userId": "gold", "tier": "gold", "email": "g@acme.io"},
        {"userId": "silver", "tier": "silver"},
    )
    assert (await state(admin, "gold", segment))["state"] == "MATCHED"
    assert (await state(admin, "silver", segment))["state"] == "NONE"

    added = await set_status(
        admin,
        "silver",
        segment,
        "ADD",
        referenceId="r1",
        description="manual",
        statusChangeTimestamp=1_700_000_000,
    )
    assert added["applied"] is True and added["userErrors"] == []
    assert added["membership"] | {"segment": None} == {
        "segment": None,
        "isMember": True,
        "state": "ADDED",
        "source": "OVERRIDE",
        "override": "ADD",
        "listed": False,
        "expiresAt": None,
        "weight": 1.0,
        "dataBag": None,
        "referenceId": "r1",
        "description": "manual",
        "statusChangeTimestamp": 1_700_000_000,
    }

    blocked = await set_status(admin, "g@acme.io", segment, "BLOCK")  # by email, as Village
    assert blocked["user"]["id"] == "gold"
    assert blocked["membership"]["state"] == "BLOCKED" and not blocked["membership"]["isMember"]

    reset = await set_status(admin, "gold", segment, "RESET")
    assert reset["membership"]["state"] == "MATCHED" and reset["membership"]["override"] is None
    members = await admin.data(
        "query($id: ID!) { segment(id: $id) { members { edges { node { id } } } } }",
        {"id": segment},
    )
    assert [e["node"]["id"] for e in members["segment"]["members"]["edges"]] == ["gold", "silver"]


async def test_block_beats_add_beats_list(admin):
    segment = await create_segment(admin, type="STATIC")
    await upsert(admin, {"userId": "u1"})
    await add_users(admin, segment, {"user": "u1"})
    assert (await state(admin, "u1", segment))["state"] == "LISTED"
    await set_status(admin, "u1", segment, "BLOCK", statusChangeTimestamp=100)
    assert (await state(admin, "u1", segment))["state"] == "BLOCKED"
    await set_status(admin, "u1", segment, "RESET", statusChangeTimestamp=200)
    assert (await state(admin, "u1", segment))["state"] == "LISTED"


async def test_an_older_change_never_overwrites_a_newer_one(admin):
    segment = await create_segment(admin, matchAll=True)
    await upsert(admin, {"userId": "u1"})
    newer = await set_status(admin, "u1", segment, "BLOCK", statusChangeTimestamp=2_000)
    assert newer["applied"] is True
    older = await set_status(admin, "u1", segment, "ADD", statusChangeTimestamp=1_000)
    assert older["applied"] is False and older["userErrors"] == []
    assert older["membership"]["state"] == "BLOCKED"
    replay = await set_status(admin, "u1", segment, "BLOCK", statusChangeTimestamp=2_000)
    assert replay["applied"] is False
    later = await set_status(admin, "u1", segment, "RESET", statusChangeTimestamp=3_000)
    assert later["applied"] is True and later["membership"]["override"] is None
    stale_add = await set_status(admin, "u1", segment, "ADD", statusChangeTimestamp=2_500)
    assert stale_add["applied"] is False
    assert (await state(admin, "u1", segment))["state"] == "MATCHED"  # no rules: everyone


async def test_default_timestamp_is_the_time_received(admin):
    segment = await create_segment(admin, matchAll=True)
    await upsert(admin, {"userId": "u1"})
    before = int(time.time())
    result = await set_status(admin, "u1", segment, "ADD")
    assert before <= result["membership"]["statusChangeTimestamp"] <= int(time.time()) + 1


@pytest.mark.parametrize(
    ("metadata", "field"),
    [
        (
            {"statusChangeTimestamp": int(time.time()) + 3600},
            "input.metadata.statusChangeTimestamp",
        ),
        ({"statusChangeTimestamp": -5}, "input.metadata.statusChangeTimestamp"),
        ({"statusChangeTimestamp": 0}, "input.metadata.statusChangeTimestamp"),
        ({"referenceId": "r" * 129}, "input.metadata.referenceId"),
        ({"description": "d" * 1001}, "input.metadata.description"),
    ],
)
async def test_bad_metadata_is_refused_and_nothing_changes(admin, metadata, field):
    segment = await create_segment(admin, matchAll=True)
    await upsert(admin, {"userId": "u1"})
    body = await admin.data(
        SET_STATUS,
        {
            "input": {
                "user": "u1",
                "segmentId": segment,
                "userStatus": "BLOCK",
                "metadata": metadata,
            }
        },
    )
    errors = body["setUserStatus"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [(field, "BAD_USER_INPUT")]
    assert (await state(admin, "u1", segment))["override"] is None


async def test_malformed_timestamp_is_a_graphql_error(admin):
    body = await admin.post(
        SET_STATUS,
        {
            "input": {
                "user": "u1",
                "segmentId": "1",
                "userStatus": "ADD",
                "metadata": {"statusChangeTimestamp": "yesterday"},
            }
        },
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    bad_status = await admin.post(
        SET_STATUS, {"input": {"user": "u1", "segmentId": "1", "userStatus": "add"}}
    )
    assert bad_status["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_unknown_user_and_segment(admin):
    segment = await create_segment(admin, matchAll=True)
    await upsert(admin, {"userId": "u1"})
    unknown_user = await set_status(admin, "ghost", segment, "ADD")
    assert unknown_user["userErrors"] == [
        {"field": "input.user", "message": "user ghost not found", "code": "NOT_FOUND"}
    ]
    for ref in ("999", "abc", "-1"):
        unknown_segment = await set_status(admin, "u1", ref, "ADD")
        assert unknown_segment["userErrors"][0]["code"] == "NOT_FOUND"
        assert unknown_segment["userErrors"][0]["field"] == "input.segmentId"


async def test_another_tenants_segment_and_user_are_not_found(client_for):
    globex = await client_for("globex")
    their_segment = await create_segment(globex, matchAll=True)
    await upsert(globex, {"userId": "theirs"})
    acme = await client_for("acme")
    await upsert(acme, {"userId": "mine"})
    wrong_segment = await set_status(acme, "mine", their_segment, "BLOCK")
    assert wrong_segment["userErrors"][0]["code"] == "NOT_FOUND"
    mine_segment = await create_segment(acme, matchAll=True)
    wrong_user = await set_status(acme, "theirs", mine_segment, "BLOCK")
    assert wrong_user["userErrors"][0]["code"] == "NOT_FOUND"
    check = await globex.data(CHECK, {"userId": "theirs", "segmentIds": [their_segment]})
    assert check["membership"]["memberships"][0]["override"] is None


async def test_a_block_on_a_segment_the_key_may_not_edit(client_for):
    admin = await client_for("acme", Role.ADMIN)
    segment = await create_segment(admin, matchAll=True, editableBy="ADMIN")
    await upsert(admin, {"userId": "u1"})
    editor = await client_for("acme", Role.EDITOR, user_id="e1")
    result = await set_status(editor, "u1", segment, "BLOCK")
    assert result["userErrors"] == [
        {
            "field": "input.segmentId",
            "code": "FORBIDDEN",
            "message": f"this key may not change memberships of segment {segment}",
        }
    ]
    viewer = await client_for("acme", Role.VIEWER)
    assert (await set_status(viewer, "u1", segment, "BLOCK"))["userErrors"][0][
        "code"
    ] == "FORBIDDEN"
    assert (await state(admin, "u1", segment))["override"] is None


async def test_batch_applies_good_items_and_reports_bad_ones_by_index(admin):
    segment = await create_segment(admin, matchAll=True)
    await upsert(admin, {"userId": "u1"}, {"userId": "u2"})
    body = await admin.data(
        SET_STATUSES,
        {
            "inputs": [
                {"user": "u1", "segmentId": segment, "userStatus": "BLOCK"},
                {"user": "ghost", "segmentId": segment, "userStatus": "ADD"},
                {"user": "u2", "segmentId": "77", "userStatus": "ADD"},
                {
                    "user": "u2",
                    "segmentId": segment,
                    "userStatus": "ADD",
                    "metadata": {"statusChangeTimestamp": 4_000_000_000_000},
                },
                {
                    "user": "u2",
                    "segmentId": segment,
                    "userStatus": "ADD",
                    "metadata": {"referenceId": "ok"},
                },
            ]
        },
    )
    payload = body["setUserStatuses"]
    assert [r["applied"] if r else None for r in payload["results"]] == [
        True,
        None,
        None,
        None,
        True,
    ]
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        ("inputs.3.metadata.statusChangeTimestamp", "BAD_USER_INPUT"),
        ("inputs.1.user", "NOT_FOUND"),
        ("inputs.2.segmentId", "NOT_FOUND"),
    ]
    assert (await state(admin, "u1", segment))["state"] == "BLOCKED"
    assert (await state(admin, "u2", segment))["referenceId"] == "ok"


async def test_user_segments_and_memberships(admin):
    gold = await create_segment(admin, name="gold", rules=gold_rules())
    listed = await create_segment(admin, name="listed", type="STATIC")
    blocked = await create_segment(admin, matchAll=True, name="blocked")
    await upsert(admin, {"userId": "u1", "tier": "gold"})
    await add_users(admin, listed, {"user": "u1", "weight": 0.4, "dataBag": {"source": "crm"}})
    await set_status(admin, "u1", blocked, "BLOCK")
    user = (await admin.data(USER, {"id": "u1"}))["user"]
    assert [s["id"] for s in user["segments"]] == [gold, listed]
    by_segment = {m["segment"]["id"]: m for m in user["memberships"]}
    assert by_segment[gold]["source"] == "RULES"
    assert by_segment[listed]["state"] == "LISTED" and by_segment[listed]["weight"] == 0.4
    assert by_segment[listed]["dataBag"] == {"source": "crm"}
    assert by_segment[blocked]["state"] == "BLOCKED" and by_segment[blocked]["isMember"] is False
