"""userCount, estimatedSize with refreshEstimates, segmentCounts (weights, cache), previewSegment."""

from __future__ import annotations

import pytest

from seg_graphql.domain.models import Role
from tests.api.helpers import add_users, create_segment, gold_rules, set_status, upsert
from tests.api.test_batching import commands

COUNTS = """query($minWeight: Float, $forceRefresh: Boolean, $page: Int, $size: Int) {
  segmentCounts(minWeight: $minWeight, forceRefresh: $forceRefresh, page: $page, size: $size) {
    items { segment { id } userCount strength minWeight } total page size computedAt } }"""

REFRESH = """mutation($ids: [ID!]!) { refreshEstimates(segmentIds: $ids) {
  segments { id estimatedSize estimatedSizeUpdatedAt } userErrors { field message code } } }"""

PREVIEW = """query($rules: RulesInput, $fql: JSON, $segmentId: ID) {
  previewSegment(rules: $rules, fql: $fql, segmentId: $segmentId) {
    userCount entering leaving sample { id } enteringSample { id } leavingSample { id } } }"""


def counts_by_segment(body):
    return {
        i["segment"]["id"]: (i["userCount"], i["strength"]) for i in body["segmentCounts"]["items"]
    }


async def test_user_count_of_many_segments_costs_constant_round_trips(admin, store):
    await upsert(admin, *({"userId": f"u{i}", "points": i} for i in range(20)))
    for n in range(10):
        await create_segment(
            admin, rules={"include": [{"field": "points", "operator": "GTE", "value": n}]}
        )
    query = "{ segments(first: %d) { edges { node { id userCount } } } }"
    few, _ = await commands(store, admin, query % 2, {})
    many, body = await commands(store, admin, query % 10, {})
    assert [e["node"]["userCount"] for e in body["segments"]["edges"]] == list(range(20, 10, -1))
    if store.capabilities.facet:
        assert few == many == 2, store.counter.names[
            -few:
        ]  # the segment page, one $facet of counts
    else:
        assert many == 1 + 10


async def test_estimated_size_starts_at_zero_and_refreshes_on_demand(admin):
    segment = await create_segment(admin, rules=gold_rules())
    await upsert(admin, {"userId": "a", "tier": "gold"}, {"userId": "b", "tier": "gold"})
    before = (
        await admin.data(
            "query($id: ID!) { segment(id: $id) { estimatedSize estimatedSizeUpdatedAt userCount } }",
            {"id": segment},
        )
    )["segment"]
    assert before == {"estimatedSize": 0, "estimatedSizeUpdatedAt": None, "userCount": 2}
    refreshed = (await admin.data(REFRESH, {"ids": [segment]}))["refreshEstimates"]
    assert refreshed["userErrors"] == []
    assert refreshed["segments"][0]["estimatedSize"] == 2
    assert refreshed["segments"][0]["estimatedSizeUpdatedAt"] is not None


async def test_refreshing_many_estimates_costs_constant_round_trips(admin, store):
    await upsert(admin, *({"userId": f"u{i}", "points": i} for i in range(5)))
    ids = [
        await create_segment(
            admin, rules={"include": [{"field": "points", "operator": "GTE", "value": n}]}
        )
        for n in range(10)
    ]
    few, _ = await commands(store, admin, REFRESH, {"ids": ids[:2]})
    many, body = await commands(store, admin, REFRESH, {"ids": ids})
    sizes = [s["estimatedSize"] for s in body["refreshEstimates"]["segments"]]
    assert sizes == [5, 4, 3, 2, 1, 0, 0, 0, 0, 0]
    if store.capabilities.facet:
        # the segments, one $facet of counts, one bulk write of estimates, the saved segments
        assert few == many == 4, store.counter.names[-many:]
    else:  # FerretDB: one count per segment
        assert many - few == 8


async def test_refresh_estimates_errors(client_for):
    admin = await client_for("acme", Role.ADMIN)
    segment = await create_segment(admin, matchAll=True)
    editor = await client_for("acme", Role.EDITOR)
    refused = (await editor.data(REFRESH, {"ids": [segment]}))["refreshEstimates"]
    assert refused["userErrors"] == [
        {"field": None, "code": "FORBIDDEN", "message": "this operation needs the ADMIN role"}
    ]
    unknown = (await admin.data(REFRESH, {"ids": [segment, "99"]}))["refreshEstimates"]
    assert unknown["userErrors"] == [
        {"field": "segmentIds", "code": "NOT_FOUND", "message": "segments [99] not found"}
    ]
    other = await client_for("globex", Role.ADMIN)
    assert (await other.data(REFRESH, {"ids": [segment]}))["refreshEstimates"]["userErrors"][0][
        "code"
    ] == "NOT_FOUND"
    too_many = (await admin.data(REFRESH, {"ids": ["1"] * 101}))["refreshEstimates"]
    assert too_many["userErrors"][0]["code"] == "LIMIT_EXCEEDED"


async def test_segment_counts_weights_and_strength(admin):
    listed = await create_segment(admin, type="STATIC")
    gold = await create_segment(admin, rules=gold_rules())
    await upsert(
        admin, *({"userId": f"u{i}", "tier": "gold" if i < 2 else "silver"} for i in range(5))
    )
    await add_users(
        admin,
        listed,
        {"user": "u0", "weight": 0.2},
        {"user": "u1", "weight": 0.6},
        {"user": "u2", "weight": 0.9},
    )
    await set_status(admin, "u3", listed, "ADD")  # weight 1
    await set_status(admin, "u1", gold, "BLOCK")
    body = await admin.data(COUNTS, {})
    assert counts_by_segment(body) == {
        listed: (3, pytest.approx((0.6 + 0.9 + 1) / 3)),
        gold: (1, 1.0),
    }
    assert body["segmentCounts"]["items"][0]["minWeight"] == 0.5
    assert (
        body["segmentCounts"]["total"],
        body["segmentCounts"]["page"],
        body["segmentCounts"]["size"],
    ) == (2, 1, 50)
    everyone = await admin.data(COUNTS, {"minWeight": 0.0})
    assert counts_by_segment(everyone)[listed] == (4, pytest.approx((0.2 + 0.6 + 0.9 + 1) / 4))


async def test_segment_counts_are_cached_until_force_refresh(admin):
    segment = await create_segment(admin, matchAll=True)
    await upsert(admin, {"userId": "u1"})
    first = await admin.data(COUNTS, {})
    assert counts_by_segment(first) == {segment: (1, 1.0)}
    await upsert(admin, {"userId": "u2"})
    cached = await admin.data(COUNTS, {})
    assert counts_by_segment(cached) == {segment: (1, 1.0)}
    assert cached["segmentCounts"]["computedAt"] == first["segmentCounts"]["computedAt"]
    fresh = await admin.data(COUNTS, {"forceRefresh": True})
    assert counts_by_segment(fresh) == {segment: (2, 1.0)}
    other_weight = await admin.data(COUNTS, {"minWeight": 0.7})  # cached per minWeight
    assert counts_by_segment(other_weight) == {segment: (2, 1.0)}


async def test_segment_counts_pages(admin):
    ids = [await create_segment(admin, matchAll=True) for _ in range(5)]
    page2 = (await admin.data(COUNTS, {"page": 2, "size": 2}))["segmentCounts"]
    assert [i["segment"]["id"] for i in page2["items"]] == ids[2:4]
    assert (page2["total"], page2["page"], page2["size"]) == (5, 2, 2)
    beyond = (await admin.data(COUNTS, {"page": 9, "size": 2}))["segmentCounts"]
    assert beyond["items"] == [] and beyond["total"] == 5


async def test_segment_counts_validation_names_each_bad_argument(admin):
    body = await admin.post(COUNTS, {"minWeight": 1.5, "page": 0, "size": 101})
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert [(p["path"], p["message"]) for p in error["extensions"]["problems"]] == [
        (["minWeight"], "minWeight must be between 0 and 1"),
        (["page"], "page must be at least 1"),
        (["size"], "size must be between 1 and 100"),
    ]
    assert (await admin.post(COUNTS, {"minWeight": -0.1}))["errors"][0]["extensions"][
        "field"
    ] == "minWeight"


async def test_segment_counts_are_per_tenant(client_for):
    globex = await client_for("globex")
    await create_segment(globex, matchAll=True)
    await upsert(globex, {"userId": "g1"})
    acme = await client_for("acme")
    body = await acme.data(COUNTS, {})
    assert body["segmentCounts"]["items"] == [] and body["segmentCounts"]["total"] == 0


async def test_preview_new_rules(admin):
    await upsert(admin, *({"userId": f"u{i}", "points": i * 10} for i in range(6)))
    body = await admin.data(PREVIEW, {"fql": [{"points": {"$gte": 30}}]})
    preview = body["previewSegment"]
    assert preview["userCount"] == 3 and [u["id"] for u in preview["sample"]] == ["u3", "u4", "u5"]
    assert preview["entering"] is None and preview["leaving"] is None


async def test_preview_changes_to_an_existing_segment_save_nothing(admin):
    segment = await create_segment(
        admin, rules={"include": [{"field": "points", "operator": "GTE", "value": 20}]}
    )
    await upsert(admin, *({"userId": f"u{i}", "points": i * 10} for i in range(6)))
    await set_status(admin, "u0", segment, "ADD")
    body = await admin.data(
        PREVIEW,
        {
            "segmentId": segment,
            "rules": {"include": [{"field": "points", "operator": "LT", "value": 40}]},
        },
    )
    preview = body["previewSegment"]
    assert preview["userCount"] == 4  # u0 (ADD), u1, u2, u3
    assert [u["id"] for u in preview["enteringSample"]] == ["u1"]
    assert [u["id"] for u in preview["leavingSample"]] == ["u4", "u5"]
    assert (preview["entering"], preview["leaving"]) == (1, 2)
    saved = await admin.data(
        "query($id: ID!) { segment(id: $id) { rules { include { value } } userCount } }",
        {"id": segment},
    )
    assert saved["segment"] == {"rules": {"include": [{"value": 20}]}, "userCount": 5}


@pytest.mark.parametrize(
    ("variables", "code", "field"),
    [
        ({"fql": [{"$where": "1"}]}, "BAD_USER_INPUT", "fql.0.$where"),
        ({"fql": [], "rules": {"include": []}}, "BAD_USER_INPUT", "fql"),
        ({"segmentId": "99"}, "NOT_FOUND", "segmentId"),
        ({"fql": [{"segment": {"$eq": 42}}]}, "NOT_FOUND", "rules"),
    ],
)
async def test_preview_errors(admin, variables, code, field):
    body = await admin.post(PREVIEW, variables)
    assert body["errors"][0]["extensions"]["code"] == code
    assert body["errors"][0]["extensions"]["field"] == field


async def test_preview_rejects_self_reference_and_static_rules(admin):
    segment = await create_segment(admin, matchAll=True)
    self_ref = await admin.post(
        PREVIEW, {"segmentId": segment, "fql": [{"segment": {"$eq": int(segment)}}]}
    )
    assert self_ref["errors"][0]["extensions"]["code"] == "CYCLE"
    static = await create_segment(admin, type="STATIC")
    body = await admin.post(PREVIEW, {"segmentId": static, "fql": [{"xp": {"$gt": 1}}]})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
