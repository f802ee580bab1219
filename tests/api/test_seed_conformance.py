"""Statements of the seed documents checked through the API (issue 15): expiration_ts 0,
rule-less dynamic segments, USER link targets, segment_id vs segment_technical_name,
estimatedSize of static segments."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest

from seg_graphql.jobs import batch_size
from seg_graphql.jobs.list_expiry import ListExpirySweeper
from tests.api.helpers import add_users, create_segment, upsert
from tests.api.import_helpers import ndjson, run_import
from tests.api.membership_queries import CHECK
from tests.api.membership_queries import REMOVE_USERS as REMOVE
from tests.api.queries import ATTACH

IN_A_DAY = 24 * 3600


def _expiry_of(membership) -> datetime | None:
    raw = membership["expiresAt"]
    return datetime.fromisoformat(raw) if raw else None


async def _imported_expiries(admin, segment, lines):
    job = await run_import(admin, ndjson(*lines))
    assert (job["status"], job["errors"]) == ("SUCCEEDED", []), job
    found = {}
    for user in ("zero", "both", "ts_only", "duration_only"):
        body = await admin.data(CHECK, {"userId": f"user_agent:{user}", "segmentIds": [segment]})
        found[user] = _expiry_of(body["membership"]["memberships"][0])
    return found


# ---------------------------------------------------------------- seed 002: expiration_ts


async def test_add_segment_users_expiration_ts_zero_means_never_and_wins(admin):
    segment = await create_segment(admin, type="STATIC")
    await upsert(admin, *({"userId": u} for u in ("zero", "both", "ts_only", "duration_only")))
    later = int(time.time()) + IN_A_DAY
    added = await add_users(
        admin,
        segment,
        {"user": "zero", "expirationTs": 0, "expirationDuration": 5},
        {"user": "both", "expirationTs": later, "expirationDuration": 5},
        {"user": "ts_only", "expirationTs": later},
        {"user": "duration_only", "expirationDuration": 5},
    )
    assert added["userErrors"] == []
    zero, both, ts_only, duration_only = (_expiry_of(m) for m in added["memberships"])
    assert zero is None  # seed 002: "A value of 0 means that the user will never leave"
    assert both == ts_only == datetime.fromtimestamp(later, UTC)
    assert duration_only is not None
    assert 4 * 60 <= (duration_only - datetime.now(UTC)).total_seconds() <= 5 * 60


async def test_import_expiration_ts_zero_means_never_and_wins(admin):
    segment = await create_segment(admin, type="STATIC")
    later = int(time.time()) + IN_A_DAY

    def line(user, **fields):
        return {"operation": "UPDATE", "user_agent_id": user, "segment_id": segment, **fields}

    found = await _imported_expiries(
        admin,
        segment,
        [
            line("zero", expiration_duration=5, expiration_ts=0),
            line("both", expiration_duration=5, expiration_ts=later),
            line("ts_only", expiration_duration=0, expiration_ts=later),
            line("duration_only", expiration_duration=5),
        ],
    )
    assert found["zero"] is None
    assert found["both"] == found["ts_only"] == datetime.fromtimestamp(later, UTC)
    assert found["duration_only"] is not None
    assert (found["duration_only"] - datetime.now(UTC)).total_seconds() <= 5 * 60


# ---------------------------------------------------------------- seed 002: segment naming


async def test_import_line_naming_two_different_segments_is_refused(admin):
    first = await create_segment(admin, type="STATIC", technicalName="first")
    second = await create_segment(admin, type="STATIC", technicalName="second")

    def line(user, **fields):
        return {"operation": "UPDATE", "user_agent_id": user, "expiration_duration": 0, **fields}

    job = await run_import(
        admin,
        ndjson(
            line("clash", segment_id=first, segment_technical_name="second"),
            line("agree", segment_id=first, segment_technical_name="first"),
            line("ghost", segment_id=first, segment_technical_name="nosuch"),
            line("by_name", segment_technical_name="second"),
        ),
    )
    assert job["status"] == "PARTIAL"
    assert job["errors"] == [
        {
            "line": 1,
            "code": "BAD_USER_INPUT",
            "message": f"segment_id {first} and segment_technical_name 'second' name different "
            f"segments (segment_technical_name 'second' is segment {second})",
        },
        {
            "line": 3,
            "code": "NOT_FOUND",
            "message": "segment technical name 'nosuch' not found",
        },
    ]
    body = await admin.data(CHECK, {"userId": "user_agent:agree", "segmentIds": [first, second]})
    assert [m["isMember"] for m in body["membership"]["memberships"]] == [True, False]
    body = await admin.data(CHECK, {"userId": "user_agent:by_name", "segmentIds": [second]})
    assert body["membership"]["memberships"][0]["isMember"] is True


@pytest.mark.parametrize("value", [0, 5])
async def test_expiration_ts_zero_is_not_in_the_past(admin, value):
    """0 is "never", never "a timestamp in the past"; other old values still are refused."""
    segment = await create_segment(admin, type="STATIC")
    await upsert(admin, {"userId": "u"})
    added = await add_users(admin, segment, {"user": "u", "expirationTs": value})
    if value == 0:
        assert added["userErrors"] == []
    else:
        assert added["userErrors"][0]["code"] == "BAD_USER_INPUT"


# ---------------------------------------------------------------- seed 004: link targets


async def test_user_link_must_name_a_user_of_the_tenant(admin, client_for):
    segment = await create_segment(admin, type="STATIC")
    other = await client_for("globex")
    await upsert(other, {"userId": "theirs"})
    await upsert(admin, {"userId": "ours"})
    for target in ("nosuchuser", "theirs"):
        body = await admin.data(
            ATTACH, {"segmentId": segment, "link": {"type": "USER", "id": target}}
        )
        assert body["attachSegmentLink"] == {
            "segment": None,
            "userErrors": [
                {"field": "link.id", "message": f"user {target} not found", "code": "NOT_FOUND"}
            ],
        }
    body = await admin.data(ATTACH, {"segmentId": segment, "link": {"type": "USER", "id": "ours"}})
    assert body["attachSegmentLink"]["userErrors"] == []
    # TEAM ids are checked for their shape only: there is no team directory
    body = await admin.data(ATTACH, {"segmentId": segment, "link": {"type": "TEAM", "id": "t42"}})
    assert body["attachSegmentLink"]["userErrors"] == []
    links = body["attachSegmentLink"]["segment"]["links"]
    assert [(link["type"], link["targetId"]) for link in links] == [
        ("USER", "ours"),
        ("TEAM", "t42"),
    ]
    body = await admin.data(ATTACH, {"segmentId": segment, "link": {"type": "TEAM", "id": "a b"}})
    assert body["attachSegmentLink"]["userErrors"][0]["code"] == "BAD_USER_INPUT"


# ---------------------------------------------------------------- seed 004: fql is required

SELECTION = """
mutation Create($input: CreateSegmentInput!) {
  createSegment(input: $input) {
    segment { id type matchAll rules { include { field } exclude { field } } userCount }
    userErrors { field message code }
  }
}"""

UPDATE_SELECTION = """
mutation Update($id: ID!, $input: UpdateSegmentInput!) {
  updateSegment(id: $id, input: $input) {
    segment { id matchAll rules { include { field } } userCount }
    userErrors { field message code }
  }
}"""

NEEDS = (
    "a DYNAMIC segment needs criteria: give {0} (at least one include or exclude criterion), "
    "or matchAll: true to select every user of the tenant"
)
GOLD = {"include": [{"field": "tier", "operator": "EQUALS", "value": "gold"}]}


@pytest.mark.parametrize(
    ("selection", "field"),
    [({}, "rules"), ({"rules": {"include": [], "exclude": []}}, "rules"), ({"fql": []}, "fql")],
)
async def test_a_dynamic_segment_without_criteria_is_refused(admin, selection, field):
    body = await admin.data(SELECTION, {"input": {"name": "Engaged VIPs", **selection}})
    assert body["createSegment"] == {
        "segment": None,
        "userErrors": [
            {"field": f"input.{field}", "message": NEEDS.format(field), "code": "BAD_USER_INPUT"}
        ],
    }
    listing = await admin.data("{ segments { totalCount } }")
    assert listing["segments"]["totalCount"] == 0  # nothing was created


async def test_match_all_is_the_explicit_everyone(admin):
    await upsert(admin, {"userId": "a", "tier": "gold"}, {"userId": "b"})
    body = await admin.data(SELECTION, {"input": {"name": "Everyone", "matchAll": True}})
    segment = body["createSegment"]["segment"]
    assert body["createSegment"]["userErrors"] == []
    assert (segment["matchAll"], segment["userCount"]) == (True, 2)

    body = await admin.data(SELECTION, {"input": {"name": "Gold", "rules": GOLD}})
    assert body["createSegment"]["segment"]["matchAll"] is False
    assert body["createSegment"]["segment"]["userCount"] == 1

    for input_, field, message in [
        (
            {"matchAll": True, "rules": GOLD},
            "input.rules",
            "matchAll: true selects every user; give it without rules or fql",
        ),
        (
            {"matchAll": True, "type": "STATIC"},
            "input.matchAll",
            "matchAll is for DYNAMIC segments; a STATIC segment holds a list of users",
        ),
        ({"matchAll": False}, "input.rules", NEEDS.format("rules")),
    ]:
        body = await admin.data(SELECTION, {"input": {"name": "x", **input_}})
        assert body["createSegment"]["userErrors"] == [
            {"field": field, "message": message, "code": "BAD_USER_INPUT"}
        ]
    body = await admin.data(SELECTION, {"input": {"name": "List", "type": "STATIC"}})
    assert body["createSegment"]["segment"]["matchAll"] is False


async def test_update_cannot_clear_the_criteria_without_match_all(admin):
    await upsert(admin, {"userId": "a", "tier": "gold"}, {"userId": "b"})
    body = await admin.data(SELECTION, {"input": {"name": "Gold", "rules": GOLD}})
    segment = body["createSegment"]["segment"]["id"]
    for input_, field in [
        ({"rules": {"include": []}}, "rules"),
        ({"fql": "[]"}, "fql"),
        ({"matchAll": False, "rules": {}}, "rules"),
    ]:
        body = await admin.data(UPDATE_SELECTION, {"id": segment, "input": input_})
        assert body["updateSegment"]["userErrors"] == [
            {"field": f"input.{field}", "message": NEEDS.format(field), "code": "BAD_USER_INPUT"}
        ]
    body = await admin.data(UPDATE_SELECTION, {"id": segment, "input": {"name": "Renamed"}})
    assert body["updateSegment"]["segment"]["userCount"] == 1  # untouched criteria stay

    body = await admin.data(UPDATE_SELECTION, {"id": segment, "input": {"matchAll": True}})
    assert body["updateSegment"]["userErrors"] == []
    assert body["updateSegment"]["segment"]["matchAll"] is True  # said explicitly: everyone
    assert body["updateSegment"]["segment"]["userCount"] == 2

    body = await admin.data(UPDATE_SELECTION, {"id": segment, "input": {"matchAll": False}})
    assert body["updateSegment"]["userErrors"][0]["field"] == "input.rules"
    body = await admin.data(
        UPDATE_SELECTION, {"id": segment, "input": {"matchAll": False, "rules": GOLD}}
    )
    assert body["updateSegment"]["segment"]["matchAll"] is False
    assert body["updateSegment"]["segment"]["userCount"] == 1


# ---------------------------------------------------------------- seed 001: estimatedSize

ESTIMATE = """query Estimate($id: ID!) {
  segment(id: $id) { type estimatedSize estimatedSizeUpdatedAt userCount } }"""


async def _estimate(admin, segment):
    return (await admin.data(ESTIMATE, {"id": segment}))["segment"]


async def test_a_static_segment_estimate_is_its_live_list_size(admin, store):
    segment = await create_segment(admin, type="STATIC")
    other = await create_segment(admin, type="STATIC")
    assert (await _estimate(admin, segment))["estimatedSize"] == 0
    await upsert(admin, *({"userId": f"u{i}"} for i in range(10)))

    added = await add_users(admin, segment, *({"user": f"u{i}"} for i in range(7)))
    assert added["userErrors"] == []
    estimate = await _estimate(admin, segment)
    assert (estimate["estimatedSize"], estimate["userCount"]) == (7, 7)
    assert estimate["estimatedSizeUpdatedAt"] is not None

    # listed again (same user twice in one call), newcomers, and a user named twice
    await add_users(admin, segment, {"user": "u0"}, {"user": "u7"}, {"user": "u7"})
    assert (await _estimate(admin, segment))["estimatedSize"] == 8

    before = store.counter.count
    body = await admin.data(REMOVE, {"segmentId": segment, "users": ["u0", "u1", "u9", "u1"]})
    assert [e["code"] for e in body["removeSegmentUsers"]["userErrors"]] == []
    names = store.counter.names[-(store.counter.count - before) :]
    assert not {"count_documents", "aggregate"} & set(names), names  # no extra scan
    assert (await _estimate(admin, segment))["estimatedSize"] == 6  # u9 was not listed

    job = await run_import(
        admin,
        ndjson(
            *(
                {
                    "operation": "UPDATE",
                    "user_agent_id": f"imp{i}",
                    "segment_id": segment,
                    "expiration_duration": 0,
                }
                for i in range(5)
            ),
            {
                "operation": "DELETE",
                "user_agent_id": "imp0",
                "segment_id": segment,
                "expiration_duration": 0,
            },
            {
                "operation": "UPDATE",
                "user_agent_id": "imp1",
                "segment_id": other,
                "expiration_duration": 0,
            },
        ),
    )
    assert job["status"] == "SUCCEEDED"
    estimate = await _estimate(admin, segment)
    assert (estimate["estimatedSize"], estimate["userCount"]) == (10, 10)
    assert (await _estimate(admin, other))["estimatedSize"] == 1

    soon = int(time.time()) + 60
    await add_users(admin, segment, {"user": "u8", "expirationTs": soon}, {"user": "u2"})
    assert (await _estimate(admin, segment))["estimatedSize"] == 11
    later = datetime.fromtimestamp(soon + 1, UTC)
    assert await ListExpirySweeper(store, interval_seconds=60, clock=lambda: later).sweep_once()
    estimate = await _estimate(admin, segment)
    assert estimate["estimatedSize"] == 10  # u8's entry expired; u2 was listed already
    assert estimate["userCount"] == 10


async def test_import_batches_keep_the_static_estimate_exact(admin, monkeypatch):
    """Many batches: the first counts the list, the next ones move it by their deltas."""
    monkeypatch.setattr(batch_size, "FIRST_BATCH", 25)
    segment = await create_segment(admin, type="STATIC")
    await upsert(admin, {"userId": "before"})
    await add_users(admin, segment, {"user": "before"})
    lines = [
        {
            "operation": "UPDATE" if i % 4 else "DELETE",
            "user_agent_id": f"ua{i % 30}",
            "segment_id": segment,
            "expiration_duration": 0,
        }
        for i in range(120)
    ]
    job = await run_import(admin, ndjson(*lines))
    assert job["status"] == "SUCCEEDED"
    estimate = await _estimate(admin, segment)
    assert estimate["estimatedSize"] == estimate["userCount"] > 1


async def _wait_for_estimate(admin, segment, expected, timeout=10.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        estimate = await _estimate(admin, segment)
        if estimate["estimatedSizeUpdatedAt"] is not None:
            assert estimate["estimatedSize"] == expected, estimate
            return estimate
        assert asyncio.get_running_loop().time() < deadline, "the refresh did not run soon"
        await asyncio.sleep(0.05)


@pytest.mark.usefixtures("estimate_wakeups")
async def test_a_new_or_changed_dynamic_segment_is_refreshed_soon(admin):
    """The app's refresh runs hourly (SEG_ESTIMATE_INTERVAL_SECONDS) and pauses a minute
    between cycles: only a wake-up makes these estimates appear within seconds."""
    await upsert(
        admin, {"userId": "a", "tier": "gold"}, {"userId": "b", "tier": "gold"}, {"userId": "c"}
    )
    body = await admin.data(SELECTION, {"input": {"name": "Gold", "rules": GOLD}})
    segment = body["createSegment"]["segment"]["id"]
    created = await admin.data(CREATE_ESTIMATE, {"input": {"name": "x", "matchAll": True}})
    assert created["createSegment"]["segment"]["estimatedSize"] == 0  # seed: 0 at creation
    assert created["createSegment"]["segment"]["estimatedSizeUpdatedAt"] is None
    await _wait_for_estimate(admin, segment, 2)

    silver = {"include": [{"field": "tier", "operator": "NOT_EQUALS", "value": "gold"}]}
    body = await admin.data(UPDATE_ESTIMATE, {"id": segment, "input": {"rules": silver}})
    changed = body["updateSegment"]["segment"]
    assert changed["estimatedSizeUpdatedAt"] is None  # stale: the old count is for old rules
    await _wait_for_estimate(admin, segment, 1)


CREATE_ESTIMATE = """mutation Create($input: CreateSegmentInput!) {
  createSegment(input: $input) { segment { estimatedSize estimatedSizeUpdatedAt } } }"""

UPDATE_ESTIMATE = """mutation Update($id: ID!, $input: UpdateSegmentInput!) {
  updateSegment(id: $id, input: $input) {
    segment { estimatedSize estimatedSizeUpdatedAt } userErrors { message } } }"""
