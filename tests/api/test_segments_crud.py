"""Segment create / read / update / delete through the public GraphQL API."""

from __future__ import annotations

import json

from tests.api.queries import CREATE, DELETE, GET, UPDATE


async def create(client, **input_):
    body = await client.data(CREATE, {"input": {"name": "Segment", **input_}})
    return body["createSegment"]


async def test_create_segment_returns_every_field(admin):
    payload = await create(
        admin,
        name="Engaged VIPs",
        technicalName="engaged_vips",
        description="gold and up",
        url="https://example.com/quiz",
        teamId="2",
        isDefault=True,
        editableBy="ASSIGNED",
        rules={
            "include": [
                {"field": "tier", "operator": "IN", "value": ["gold", "platinum"]},
                {"field": "points", "operator": "GTE", "value": 1000},
            ],
            "exclude": [{"field": "customFields.test", "operator": "EQUALS", "value": True}],
        },
    )
    assert payload["userErrors"] == []
    segment = payload["segment"]
    assert segment["id"] == "1"
    assert segment["technicalName"] == "engaged_vips"
    assert segment["type"] == "DYNAMIC"
    assert segment["editableBy"] == "ASSIGNED"
    assert segment["isDefault"] is True
    assert segment["teamId"] == "2"
    assert segment["estimatedSize"] == 0
    assert segment["estimatedSizeUpdatedAt"] is None
    assert segment["createdAt"] == segment["updatedAt"]
    assert json.loads(segment["fql"]) == [
        {"tier": {"$in": ["gold", "platinum"]}},
        {"points": {"$gte": 1000}},
        {"$nor": [{"customFields.test": {"$eq": True}}]},
    ]
    fetched = (await admin.data(GET, {"id": "1"}))["segment"]
    assert fetched == segment


async def test_create_segment_defaults(admin):
    segment = (await create(admin, matchAll=True, name="Plain"))["segment"]
    assert segment["technicalName"] == "segment-1"
    assert segment["type"] == "DYNAMIC"
    assert segment["editableBy"] == "ADMIN"
    assert segment["isDefault"] is False
    assert segment["rules"] == {"include": [], "exclude": []}
    assert segment["fql"] == "[]"


async def test_ids_are_sequential_per_tenant(client_for):
    acme = await client_for("acme")
    globex = await client_for("globex")
    assert [(await create(acme, matchAll=True))["segment"]["id"] for _ in range(3)] == [
        "1",
        "2",
        "3",
    ]
    assert (await create(globex, matchAll=True))["segment"]["id"] == "1"


async def test_create_segment_with_fql_text_and_json(admin):
    text = (await create(admin, fql='[{"points": {"$gt": 5}}]'))["segment"]
    as_json = (await create(admin, fql=[{"points": {"$gt": 5}}]))["segment"]
    assert (
        text["rules"]
        == as_json["rules"]
        == {"include": [{"field": "points", "operator": "GT", "value": 5}], "exclude": []}
    )


async def test_static_segment_rejects_rules(admin):
    payload = await create(
        admin,
        type="STATIC",
        rules={"include": [{"field": "tier", "operator": "EQUALS", "value": "gold"}]},
    )
    assert payload["segment"] is None
    assert payload["userErrors"] == [
        {
            "field": "input.rules",
            "path": ["input", "rules"],
            "code": "BAD_USER_INPUT",
            "message": "a STATIC segment holds a list of users, not rules",
        }
    ]


async def test_rules_and_fql_together_are_rejected(admin):
    payload = await create(admin, fql=[], rules={"include": []})
    assert payload["userErrors"][0]["field"] == "input.fql"


async def test_technical_name_is_unique_per_tenant(client_for):
    acme = await client_for("acme")
    assert (await create(acme, matchAll=True, technicalName="vip"))["userErrors"] == []
    duplicate = await create(acme, matchAll=True, technicalName="vip")
    assert duplicate["segment"] is None
    assert duplicate["userErrors"][0]["code"] == "DUPLICATE"
    assert duplicate["userErrors"][0]["field"] == "input.technicalName"
    other_tenant = await create(await client_for("globex"), matchAll=True, technicalName="vip")
    assert other_tenant["userErrors"] == []


async def test_update_changes_only_given_fields(admin):
    created = await create(
        admin, matchAll=True, name="Before", description="keep me", url="https://a.io"
    )
    segment_id = created["segment"]["id"]
    body = await admin.data(UPDATE, {"id": segment_id, "input": {"name": "After", "url": None}})
    updated = body["updateSegment"]["segment"]
    assert updated["name"] == "After"
    assert updated["description"] == "keep me"
    assert updated["url"] is None
    assert updated["updatedAt"] >= created["segment"]["updatedAt"]
    assert (await admin.data(GET, {"id": segment_id}))["segment"] == updated


async def test_update_rules_through_fql(admin):
    segment_id = (await create(admin, matchAll=True))["segment"]["id"]
    body = await admin.data(
        UPDATE,
        {
            "id": segment_id,
            "input": {
                "fql": [
                    {"badges": {"$contains": "early"}},
                    {"$not": {"email": {"$contains": "@test."}}},
                ]
            },
        },
    )
    assert body["updateSegment"]["segment"]["rules"] == {
        "include": [{"field": "badges", "operator": "CONTAINS", "value": "early"}],
        "exclude": [{"field": "email", "operator": "CONTAINS", "value": "@test."}],
    }


async def test_update_technical_name_to_a_taken_one_is_duplicate(admin):
    await create(admin, matchAll=True, technicalName="taken")
    other = (await create(admin, matchAll=True))["segment"]["id"]
    body = await admin.data(UPDATE, {"id": other, "input": {"technicalName": "taken"}})
    assert body["updateSegment"]["userErrors"][0]["code"] == "DUPLICATE"
    assert (await admin.data(GET, {"id": other}))["segment"]["technicalName"] == "segment-2"


async def test_update_segment_not_found(admin):
    body = await admin.data(UPDATE, {"id": "42", "input": {"name": "x"}})
    assert body["updateSegment"] == {
        "segment": None,
        "userErrors": [
            {"field": "id", "path": ["id"], "message": "segment 42 not found", "code": "NOT_FOUND"}
        ],
    }


async def test_delete_segment(admin):
    segment_id = (await create(admin, matchAll=True))["segment"]["id"]
    body = await admin.data(DELETE, {"id": segment_id})
    assert body["deleteSegment"] == {"deletedId": segment_id, "userErrors": []}
    missing = await admin.post(GET, {"id": segment_id})
    assert missing["data"] == {"segment": None}
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    again = await admin.data(DELETE, {"id": segment_id})
    assert again["deleteSegment"]["userErrors"][0]["code"] == "NOT_FOUND"


async def test_non_numeric_id_is_not_found(admin):
    body = await admin.post(GET, {"id": "abc"})
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_segment_criteria_reference_other_segments(admin):
    base = (await create(admin, matchAll=True, name="Base"))["segment"]["id"]
    derived = await create(
        admin,
        name="Derived",
        rules={"include": [{"field": "segment", "operator": "EQUALS", "value": base}]},
    )
    assert derived["userErrors"] == []
    assert derived["segment"]["rules"]["include"][0]["value"] == int(base)
    blocked = await admin.data(DELETE, {"id": base})
    assert blocked["deleteSegment"]["userErrors"][0]["code"] == "BAD_USER_INPUT"
    assert (
        "used in the rules of segments [2]" in blocked["deleteSegment"]["userErrors"][0]["message"]
    )


async def test_segment_criteria_to_unknown_segment_is_not_found(admin):
    payload = await create(
        admin, rules={"include": [{"field": "segment", "operator": "EQUALS", "value": 77}]}
    )
    assert payload["userErrors"][0]["code"] == "NOT_FOUND"


async def test_segment_criteria_cycles_are_rejected(admin):
    a = (await create(admin, matchAll=True, name="A"))["segment"]["id"]
    b = (
        await create(
            admin,
            name="B",
            rules={"include": [{"field": "segment", "operator": "EQUALS", "value": a}]},
        )
    )["segment"]["id"]
    c = (
        await create(
            admin,
            name="C",
            rules={"include": [{"field": "segment", "operator": "IN", "value": [b]}]},
        )
    )["segment"]["id"]
    cycle = await admin.data(
        UPDATE,
        {
            "id": a,
            "input": {
                "rules": {"exclude": [{"field": "segment", "operator": "EQUALS", "value": c}]}
            },
        },
    )
    errors = cycle["updateSegment"]["userErrors"]
    assert errors[0]["code"] == "CYCLE"
    assert errors[0]["message"] == "segment criteria would form a cycle: 1 -> 3 -> 2 -> 1"
    self_ref = await admin.data(UPDATE, {"id": a, "input": {"fql": [{"segment": {"$eq": a}}]}})
    assert self_ref["updateSegment"]["userErrors"][0]["code"] == "CYCLE"
    assert (await admin.data(GET, {"id": a}))["segment"]["rules"]["exclude"] == []
