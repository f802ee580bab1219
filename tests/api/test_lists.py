"""addSegmentUsers / removeSegmentUsers: list entries with expiry, weight and dataBag."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from seg_graphql.domain import clock
from tests.api.helpers import add_users, create_segment, upsert
from tests.api.membership_queries import ADD_USERS, MEMBERS, REMOVE_USERS, USER


async def members(client, segment_id, **variables):
    body = await client.data(MEMBERS, {"id": segment_id, **variables})
    page = body["segment"]["members"]
    return [e["node"]["id"] for e in page["edges"]], body["segment"]["userCount"], page


async def test_add_and_remove_list_members(admin):
    segment = await create_segment(admin, type="STATIC")
    await upsert(admin, *({"userId": f"u{i}", "email": f"u{i}@acme.io"} for i in range(3)))
    added = await add_users(
        admin,
        segment,
        {"user": "u0"},
        {"user": "u1@acme.io", "weight": 0.5, "dataBag": {"k": [1, 2]}},
    )
    assert added["userErrors"] == [] and added["segment"]["id"] == segment
    assert [m["state"] for m in added["memberships"]] == ["LISTED", "LISTED"]
    assert added["memberships"][1]["weight"] == 0.5
    ids, count, _ = await members(admin, segment)
    assert (ids, count) == (["u0", "u1"], 2)
    removed = (await admin.data(REMOVE_USERS, {"segmentId": segment, "users": ["u0", "nobody"]}))[
        "removeSegmentUsers"
    ]
    assert removed["userErrors"] == [
        {"field": "users.1", "message": "user nobody not found", "code": "NOT_FOUND"}
    ]
    assert removed["memberships"][0]["state"] == "NONE"
    assert (await members(admin, segment))[:2] == (["u1"], 1)


async def test_expiry_from_duration_and_timestamp(admin, monkeypatch):
    segment = await create_segment(admin, type="STATIC")
    await upsert(admin, {"userId": "short"}, {"userId": "dated"}, {"userId": "forever"})
    in_an_hour = int(time.time()) + 3600
    added = await add_users(
        admin,
        segment,
        {"user": "short", "expirationDuration": 10},
        {"user": "dated", "expirationTs": in_an_hour, "expirationDuration": 1},
        {"user": "forever", "expirationDuration": 0},
    )
    expiries = [m["expiresAt"] for m in added["memberships"]]
    assert expiries[2] is None
    assert datetime.fromisoformat(expiries[1]) == datetime.fromtimestamp(in_an_hour, UTC)
    assert (await members(admin, segment))[:2] == (["dated", "forever", "short"], 3)

    real = clock.source
    monkeypatch.setattr(clock, "source", lambda: real() + timedelta(minutes=11))
    assert (await members(admin, segment))[:2] == (["dated", "forever"], 2)
    user = (await admin.data(USER, {"id": "short"}))["user"]
    assert user["segments"] == []
    monkeypatch.setattr(clock, "source", lambda: real() + timedelta(hours=2))
    assert (await members(admin, segment))[:2] == (["forever"], 1)


@pytest.mark.parametrize(
    ("entry", "field", "code"),
    [
        ({"user": "u1", "expirationDuration": -1}, "users.0.expirationDuration", "BAD_USER_INPUT"),
        ({"user": "u1", "expirationTs": 1_000}, "users.0.expirationTs", "BAD_USER_INPUT"),
        (
            {"user": "u1", "expirationTs": 1_700_000_000_000},
            "users.0.expirationTs",
            "BAD_USER_INPUT",
        ),
        ({"user": "u1", "weight": 1.5}, "users.0.weight", "BAD_USER_INPUT"),
        ({"user": "u1", "weight": -0.1}, "users.0.weight", "BAD_USER_INPUT"),
        ({"user": "u1", "dataBag": {"blob": "x" * 20_000}}, "users.0.dataBag", "BAD_USER_INPUT"),
        ({"user": "u1", "dataBag": {"$where": "1"}}, "users.0.dataBag", "BAD_USER_INPUT"),
        ({"user": "u1", "dataBag": {"a": [{"b.c": 1}]}}, "users.0.dataBag", "BAD_USER_INPUT"),
        ({"user": "ghost"}, "users.0.user", "NOT_FOUND"),
    ],
)
async def test_bad_entries_are_refused_and_nothing_is_listed(admin, entry, field, code):
    segment = await create_segment(admin, type="STATIC")
    await upsert(admin, {"userId": "u1"})
    body = await admin.data(ADD_USERS, {"segmentId": segment, "users": [entry]})
    payload = body["addSegmentUsers"]
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(field, code)]
    assert payload["memberships"] == [None]
    assert (await members(admin, segment))[:2] == ([], 0)


async def test_list_limit(admin, monkeypatch):
    from seg_graphql.services import membership_writes

    monkeypatch.setattr(membership_writes, "MAX_LISTED", 2)
    segment = await create_segment(admin, type="STATIC")
    await upsert(admin, *({"userId": f"u{i}"} for i in range(4)))
    await add_users(admin, segment, {"user": "u0"}, {"user": "u1"})
    again = await add_users(admin, segment, {"user": "u1", "weight": 0.2})  # already listed
    assert again["userErrors"] == []
    over = await add_users(admin, segment, {"user": "u2"}, {"user": "u3"})
    assert over["userErrors"][0]["code"] == "LIMIT_EXCEEDED"
    assert "at most 2 users (limit)" in over["userErrors"][0]["message"]
    assert (await members(admin, segment))[:2] == (["u0", "u1"], 2)


async def test_the_real_list_limit_is_100000():
    from seg_graphql.services.membership_writes import MAX_LISTED

    assert MAX_LISTED == 100_000


async def test_list_changes_on_another_tenants_segment(client_for):
    globex = await client_for("globex")
    theirs = await create_segment(globex, type="STATIC")
    acme = await client_for("acme")
    await upsert(acme, {"userId": "u1"})
    body = await acme.data(ADD_USERS, {"segmentId": theirs, "users": [{"user": "u1"}]})
    assert body["addSegmentUsers"]["userErrors"][0]["code"] == "NOT_FOUND"
    assert (await members(globex, theirs))[:2] == ([], 0)


async def test_members_pagination(admin):
    segment = await create_segment(admin, matchAll=True)  # dynamic, no criteria: everyone
    await upsert(admin, *({"userId": f"u{i:02d}"} for i in range(7)))
    seen, after = [], None
    while True:
        ids, count, page = await members(admin, segment, first=3, after=after)
        seen += ids
        assert count == 7
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [f"u{i:02d}" for i in range(7)]
    bad = await admin.post(MEMBERS, {"id": segment, "after": "nonsense"})
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
