"""attachSegmentLink / detachSegmentLink (Feedier links)."""

from __future__ import annotations

import pytest

from tests.api.helpers import upsert
from tests.api.queries import ATTACH, CREATE, DETACH


async def two_segments(admin):
    for name in ("one", "two"):
        await admin.data(CREATE, {"input": {"matchAll": True, "name": name}})
    await upsert(admin, *({"userId": user} for user in ("u5", "a", "b", "c")))


async def attach(admin, segment_id, type_, id_):
    return (
        await admin.data(ATTACH, {"segmentId": segment_id, "link": {"type": type_, "id": id_}})
    )["attachSegmentLink"]


async def test_attach_and_detach(admin):
    await two_segments(admin)
    first = await attach(admin, "1", "TEAM", "2")
    assert first["userErrors"] == []
    assert first["segment"]["links"] == [{"id": "1", "type": "TEAM", "targetId": "2"}]
    second = await attach(admin, "1", "USER", "u5")
    assert [link["id"] for link in second["segment"]["links"]] == ["1", "2"]
    detached = await admin.data(DETACH, {"segmentId": "1", "linkId": "1"})
    assert detached["detachSegmentLink"]["segment"]["links"] == [
        {"id": "2", "type": "USER", "targetId": "u5"}
    ]


async def test_attach_same_target_twice_is_idempotent(admin):
    await two_segments(admin)
    await attach(admin, "1", "TEAM", "2")
    again = await attach(admin, "1", "TEAM", "2")
    assert again["userErrors"] == [] and len(again["segment"]["links"]) == 1


async def test_detach_a_link_of_another_segment_is_not_found(admin):
    await two_segments(admin)
    link_id = (await attach(admin, "2", "TEAM", "2"))["segment"]["links"][0]["id"]
    body = await admin.data(DETACH, {"segmentId": "1", "linkId": link_id})
    assert body["detachSegmentLink"] == {
        "segment": None,
        "userErrors": [
            {
                "field": "linkId",
                "message": f"link {link_id} of segment 1 not found",
                "code": "NOT_FOUND",
            }
        ],
    }
    still = await admin.data(DETACH, {"segmentId": "2", "linkId": link_id})
    assert still["detachSegmentLink"]["userErrors"] == []


@pytest.mark.parametrize("link_id", ["999", "abc", "-1"])
async def test_detach_unknown_link(admin, link_id):
    await two_segments(admin)
    body = await admin.data(DETACH, {"segmentId": "1", "linkId": link_id})
    assert body["detachSegmentLink"]["userErrors"][0]["code"] == "NOT_FOUND"


async def test_attach_to_unknown_segment(admin):
    body = await admin.data(ATTACH, {"segmentId": "5", "link": {"type": "TEAM", "id": "1"}})
    assert body["attachSegmentLink"]["userErrors"][0] == {
        "field": "segmentId",
        "message": "segment 5 not found",
        "code": "NOT_FOUND",
    }


@pytest.mark.parametrize("target", ["", " ", "a" * 65, "x y", "$where"])
async def test_attach_bad_target_id(admin, target):
    await two_segments(admin)
    body = await admin.data(ATTACH, {"segmentId": "1", "link": {"type": "USER", "id": target}})
    errors = body["attachSegmentLink"]["userErrors"]
    assert errors[0]["code"] == "BAD_USER_INPUT" and errors[0]["field"] == "link.id"


async def test_attach_bad_link_type_is_a_graphql_error(admin):
    await two_segments(admin)
    body = await admin.post(ATTACH, {"segmentId": "1", "link": {"type": "GROUP", "id": "1"}})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "Did you mean" not in body["errors"][0]["message"]


async def test_links_are_capped(admin, monkeypatch):
    from seg_graphql.services import segments

    monkeypatch.setattr(segments, "MAX_LINKS", 2)
    await two_segments(admin)
    await attach(admin, "1", "USER", "a")
    await attach(admin, "1", "USER", "b")
    third = await attach(admin, "1", "USER", "c")
    assert third["userErrors"][0]["code"] == "LIMIT_EXCEEDED"
