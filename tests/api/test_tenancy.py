"""Tenancy is absolute: tenant A's key with tenant B's ids sees NOT_FOUND, never B's data."""

from __future__ import annotations

from tests.api.queries import ATTACH, CREATE, DELETE, DETACH, GET, LIST, UPDATE


async def test_every_operation_is_scoped_to_the_key_tenant(client_for):
    globex = await client_for("globex")
    secret = (
        await globex.data(
            CREATE,
            {
                "input": {
                    "matchAll": True,
                    "name": "Globex secret",
                    "technicalName": "secret",
                    "teamId": "9",
                }
            },
        )
    )["createSegment"]
    secret_id = secret["segment"]["id"]
    link = await globex.data(ATTACH, {"segmentId": secret_id, "link": {"type": "TEAM", "id": "9"}})
    link_id = link["attachSegmentLink"]["segment"]["links"][0]["id"]

    acme = await client_for("acme")
    read = await acme.post(GET, {"id": secret_id})
    assert read["data"] == {"segment": None}
    assert read["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert "Globex" not in str(read)

    listing = (await acme.data(LIST, {"filter": {"teamId": "9"}}))["segments"]
    assert listing["totalCount"] == 0 and listing["edges"] == []

    update = await acme.data(UPDATE, {"id": secret_id, "input": {"name": "pwned"}})
    assert update["updateSegment"]["userErrors"][0]["code"] == "NOT_FOUND"

    delete = await acme.data(DELETE, {"id": secret_id})
    assert delete["deleteSegment"]["userErrors"][0]["code"] == "NOT_FOUND"

    attach = await acme.data(ATTACH, {"segmentId": secret_id, "link": {"type": "USER", "id": "1"}})
    assert attach["attachSegmentLink"]["userErrors"][0]["code"] == "NOT_FOUND"

    detach = await acme.data(DETACH, {"segmentId": secret_id, "linkId": link_id})
    assert detach["detachSegmentLink"]["userErrors"][0]["code"] == "NOT_FOUND"

    reference = await acme.data(
        CREATE,
        {
            "input": {
                "name": "ref",
                "rules": {
                    "include": [{"field": "segment", "operator": "EQUALS", "value": secret_id}]
                },
            }
        },
    )
    assert reference["createSegment"]["userErrors"][0]["code"] == "NOT_FOUND"

    untouched = (await globex.data(GET, {"id": secret_id}))["segment"]
    assert untouched["name"] == "Globex secret"
    assert [link["id"] for link in untouched["links"]] == [link_id]


async def test_same_technical_name_in_two_tenants_stays_apart(client_for):
    acme, globex = await client_for("acme"), await client_for("globex")
    await acme.data(CREATE, {"input": {"matchAll": True, "name": "A", "technicalName": "vip"}})
    await globex.data(CREATE, {"input": {"matchAll": True, "name": "G", "technicalName": "vip"}})
    assert (await acme.data(GET, {"id": "1"}))["segment"]["name"] == "A"
    assert (await globex.data(GET, {"id": "1"}))["segment"]["name"] == "G"


async def test_segment_limit_counts_per_tenant(client_for, monkeypatch):
    from seg_graphql.services import segments

    monkeypatch.setattr(segments, "MAX_SEGMENTS", 2)
    acme, globex = await client_for("acme"), await client_for("globex")
    for _ in range(2):
        assert (await acme.data(CREATE, {"input": {"matchAll": True, "name": "x"}}))[
            "createSegment"
        ]["userErrors"] == []
    assert (await globex.data(CREATE, {"input": {"matchAll": True, "name": "x"}}))["createSegment"][
        "userErrors"
    ] == []
