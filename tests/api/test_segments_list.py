"""segments(first, after, filter): a Relay connection with totalCount."""

from __future__ import annotations

import pytest

from tests.api.queries import CREATE, LIST


async def make_segments(client, count, **fields):
    for index in range(count):
        body = await client.data(
            CREATE, {"input": {"matchAll": True, "name": f"Segment {index}", **fields}}
        )
        assert body["createSegment"]["userErrors"] == []


async def test_empty_list(admin):
    page = (await admin.data(LIST))["segments"]
    assert page == {
        "totalCount": 0,
        "edges": [],
        "pageInfo": {
            "hasNextPage": False,
            "hasPreviousPage": False,
            "startCursor": None,
            "endCursor": None,
        },
    }


async def test_default_page_is_50(admin):
    await make_segments(admin, 51)
    page = (await admin.data(LIST))["segments"]
    assert len(page["edges"]) == 50
    assert page["totalCount"] == 51
    assert page["pageInfo"]["hasNextPage"] is True


async def test_exact_page_then_after_last(admin):
    await make_segments(admin, 4)
    first = (await admin.data(LIST, {"first": 4}))["segments"]
    assert [e["node"]["id"] for e in first["edges"]] == ["1", "2", "3", "4"]
    assert first["pageInfo"]["hasNextPage"] is False
    after_last = (await admin.data(LIST, {"first": 4, "after": first["pageInfo"]["endCursor"]}))[
        "segments"
    ]
    assert after_last["edges"] == []
    assert after_last["pageInfo"]["hasNextPage"] is False
    assert after_last["pageInfo"]["hasPreviousPage"] is True
    assert after_last["totalCount"] == 4


async def test_walk_pages_with_cursors(admin):
    await make_segments(admin, 5)
    seen, after = [], None
    while True:
        page = (await admin.data(LIST, {"first": 2, "after": after}))["segments"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["1", "2", "3", "4", "5"]


@pytest.mark.parametrize("first", [-1, 101, 10_000])
async def test_first_out_of_bounds(admin, first):
    body = await admin.post(LIST, {"first": first})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["field"] == "first"


async def test_first_100_is_allowed(admin):
    assert (await admin.data(LIST, {"first": 100}))["segments"]["edges"] == []


@pytest.mark.parametrize("cursor", ["garbage", "c2VnbWVudDp4", "dXNlcjox", "", "%%%"])
async def test_bad_cursor(admin, cursor):
    body = await admin.post(LIST, {"after": cursor})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["field"] == "after"


async def test_filter_by_name_type_and_team(admin):
    await admin.data(CREATE, {"input": {"matchAll": True, "name": "Gold VIPs", "teamId": "7"}})
    await admin.data(CREATE, {"input": {"name": "vip list", "type": "STATIC"}})
    await admin.data(CREATE, {"input": {"matchAll": True, "name": "Churned"}})

    async def names(filter_):
        page = (await admin.data(LIST, {"filter": filter_}))["segments"]
        assert page["totalCount"] == len(page["edges"])
        return [e["node"]["name"] for e in page["edges"]]

    assert await names({"name": "VIP"}) == ["Gold VIPs", "vip list"]
    assert await names({"name": "vip", "type": "STATIC"}) == ["vip list"]
    assert await names({"teamId": "7"}) == ["Gold VIPs"]
    assert await names({"type": "DYNAMIC"}) == ["Gold VIPs", "Churned"]


@pytest.mark.parametrize("needle", [".*", "(", "$where", "a|b", "\\"])
async def test_name_filter_is_literal_not_regex(admin, needle):
    await admin.data(CREATE, {"input": {"matchAll": True, "name": "plain"}})
    await admin.data(CREATE, {"input": {"matchAll": True, "name": f"has {needle} inside"}})
    page = (await admin.data(LIST, {"filter": {"name": needle}}))["segments"]
    assert [e["node"]["name"] for e in page["edges"]] == [f"has {needle} inside"]


@pytest.mark.parametrize(
    ("filter_", "field"),
    [({"name": "x" * 201}, "filter.name"), ({"teamId": "t" * 10_000}, "filter.teamId")],
)
async def test_filter_bounds_are_checked_and_nothing_changes(admin, filter_, field):
    await make_segments(admin, 2)
    body = await admin.post(LIST, {"filter": filter_})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["field"] == field
    assert (await admin.data(LIST))["segments"]["totalCount"] == 2


async def test_an_empty_filter_lists_what_no_filter_lists(admin):
    await make_segments(admin, 3)
    unfiltered = (await admin.data(LIST))["segments"]
    assert (await admin.data(LIST, {"filter": {}}))["segments"] == unfiltered
    assert unfiltered["totalCount"] == 3
