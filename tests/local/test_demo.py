"""`serve --demo`: the demo tenant shows every feature through the API, once."""

from __future__ import annotations

from pathlib import Path

from seg_graphql.demo import DEMO_TENANT
from tests.api.import_helpers import wait_for
from tests.api.membership_queries import CHECK
from tests.local.test_data_dir import served

DEMO = """{
  viewer { tenant }
  segments(first: 10) {
    edges { node { id technicalName type fql editableBy userCount teamId
                   rules { include { field operator value } }
                   links { type targetId }
                   history(first: 20) { totalCount edges { node { action source } } } } }
  }
  users(first: 50) { totalCount edges { node { id tier points badges customFields } } }
  importJobs { edges { node { id status } } }
}"""


async def test_the_demo_tenant_shows_every_feature(tmp_path, capsys):
    async with served(tmp_path, demo=True, tenants=[DEMO_TENANT]) as admin:
        printed = capsys.readouterr().out
        assert f"(tenant '{DEMO_TENANT}', role ADMIN)" in printed
        state = await admin.data(DEMO)
        assert state["viewer"]["tenant"] == DEMO_TENANT
        segments = {e["node"]["technicalName"]: e["node"] for e in state["segments"]["edges"]}
        assert set(segments) == {
            "gold_members",
            "engaged_vips",
            "french_regulars",
            "gold_in_spain",
            "newsletter",
        }
        assert all(s["userCount"] > 0 for s in segments.values()), segments
        assert segments["engaged_vips"]["rules"]["include"][0]["operator"] == "IN"
        assert "$eq" in segments["french_regulars"]["fql"]
        assert segments["gold_in_spain"]["rules"]["include"][0]["field"] == "segment"
        newsletter = segments["newsletter"]
        assert (newsletter["type"], newsletter["editableBy"], newsletter["teamId"]) == (
            "STATIC",
            "ASSIGNED",
            "marketing",
        )
        assert {(link["type"], link["targetId"]) for link in newsletter["links"]} == {
            ("TEAM", "marketing"),
            ("USER", "u1"),
        }
        assert state["users"]["totalCount"] >= 40
        assert any(u["node"]["badges"] for u in state["users"]["edges"])
        gold = segments["gold_members"]["id"]
        check = await admin.data(CHECK, {"userId": "u2", "segmentIds": [gold]})
        assert check["membership"]["memberships"][0]["state"] == "BLOCKED"
        check = await admin.data(CHECK, {"userId": "u3", "segmentIds": [gold, newsletter["id"]]})
        added, listed = check["membership"]["memberships"]
        assert added["override"] == "ADD" and added["isMember"]
        assert listed["listed"] and listed["weight"] == 0.4 and listed["expiresAt"]
        actions = {e["node"]["action"] for e in segments["gold_members"]["history"]["edges"]}
        assert actions == {"OVERRIDE_SET"}
        (job,) = [e["node"] for e in state["importJobs"]["edges"]]
        finished = await wait_for(admin, job["id"])
        assert (finished["status"], finished["applied"], finished["failed"]) == ("PARTIAL", 5, 3)
        assert {e["code"] for e in finished["errors"]} == {
            "MALFORMED_JSON",
            "NOT_FOUND",
            "BAD_USER_INPUT",
        }
    # loaded once: a restart on the same directory keeps it as it is, without a second copy
    async with served(tmp_path, demo=True, tenants=[DEMO_TENANT]) as admin:
        again = await admin.data(DEMO)
        assert len(again["segments"]["edges"]) == 5
        assert len(again["importJobs"]["edges"]) == 1


async def test_the_readme_first_query_returns_the_demo(tmp_path):
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    query = readme.split("A first query:\n\n```graphql\n", 1)[1].split("```", 1)[0]
    async with served(tmp_path, demo=True, tenants=[DEMO_TENANT]) as admin:
        data = await admin.data(query)
    assert len(data["segments"]["nodes"]) == 5
    assert data["importJobs"]["nodes"][0]["name"] == "demo newsletter import"
