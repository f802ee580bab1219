"""The embedded store on disk (`serve --data-dir`): what one server wrote, the next one on
the same directory serves, through GraphQL; corrupt data and a second server are refused."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from seg_graphql.app import create_app
from seg_graphql.config import Settings
from seg_graphql.jobs.imports import ImportWorker
from seg_graphql.jobs.periodic import Periodic
from seg_graphql.store.data_dir import DATA_FILE, DataDirError
from tests.api.helpers import add_users, create_segment, set_status, upsert
from tests.api.import_helpers import ndjson, submit, wait_for
from tests.api.membership_queries import CHECK, MEMBERS, SEGMENT_HISTORY
from tests.api.queries import ATTACH, LIST
from tests.api.test_api_keys import LIST_KEYS, VIEWER, create_key
from tests.conftest import GraphQLClient

LIST_NAMES = "{ segments { edges { node { name } } } }"
KEY = "sgk_" + secrets.token_urlsafe(32)


@contextlib.asynccontextmanager
async def served(directory: Path, **settings) -> AsyncIterator[GraphQLClient]:
    """An app on the embedded store kept in `directory`, from start to graceful stop."""
    application = create_app(
        Settings(
            **{
                "mongodb_url": None,
                "data_dir": directory,
                "dev_api_key": KEY,
                "dev_tenant": "acme",
                "persist_interval_seconds": 3600,
                **settings,
            }
        )
    )
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield GraphQLClient(http, KEY)


def idle_imports(monkeypatch: pytest.MonkeyPatch) -> None:
    """Import workers that never run: a submitted job stays PENDING until the stop."""

    async def idle() -> None:
        return None

    def periodic(self: ImportWorker) -> Periodic:
        self._periodic = Periodic("idle imports", idle, interval_seconds=3600)
        return self._periodic

    monkeypatch.setattr(ImportWorker, "periodic", periodic)


SNAPSHOT = """
query Snapshot($ids: [ID!]!) {
  segments(first: 100) {
    totalCount
    edges { node { id technicalName name type fql editableBy createdAt updatedAt userCount
                   links { id type targetId createdAt } } }
  }
  gold: membership(userId: "u1", segmentIds: $ids) {
    memberships { segment { id } isMember state source override listed expiresAt weight
                  dataBag referenceId statusChangeTimestamp }
  }
  blocked: membership(userId: "u2", segmentIds: $ids) {
    memberships { segment { id } isMember state override listed expiresAt weight }
  }
  users(first: 100) { totalCount edges { node { id email tier points badges customFields
                                                 createdAt updatedAt } } }
}"""


async def snapshot(client: GraphQLClient, ids: list[str]) -> dict:
    state = await client.data(SNAPSHOT, {"ids": ids})
    for segment in ids:
        state[f"members {segment}"] = await client.data(MEMBERS, {"id": segment, "first": 50})
        state[f"history {segment}"] = await client.data(SEGMENT_HISTORY, {"id": segment})
    keys = (await client.data(LIST_KEYS))["apiKeys"]
    # lastUsedAt moves with use, by design
    state["keys"] = [
        {k: v for k, v in e["node"].items() if k != "lastUsedAt"} for e in keys["edges"]
    ]
    return state


async def test_everything_survives_a_stop_and_a_start(tmp_path, monkeypatch):
    idle_imports(monkeypatch)
    async with served(tmp_path) as admin:
        gold = await create_segment(
            admin,
            technicalName="gold",
            rules={"include": [{"field": "tier", "operator": "EQUALS", "value": "gold"}]},
        )
        fql = await create_segment(admin, technicalName="rich", fql=[{"points": {"$gte": 100}}])
        listed = await create_segment(
            admin, technicalName="vip", type="STATIC", editableBy="ASSIGNED"
        )
        await admin.data(ATTACH, {"segmentId": listed, "link": {"type": "TEAM", "id": "t1"}})
        await upsert(
            admin,
            {"userId": "u1", "email": "u1@example.com", "tier": "gold", "points": 150,
             "badges": ["early"], "customFields": {"country": "fr"}},
            {"userId": "u2", "tier": "gold", "points": 5},
            {"userId": "u3", "tier": "silver", "points": 500},
        )  # fmt: skip
        added = await add_users(
            admin,
            listed,
            {"user": "u1", "expirationDuration": 60, "weight": 0.25, "dataBag": {"k": [1]}},
            {"user": "u3", "expirationTs": 2000000000},
        )
        assert added["userErrors"] == []
        await set_status(
            admin, "u2", gold, "BLOCK", referenceId="r1", statusChangeTimestamp=1700000000
        )
        await set_status(admin, "u3", gold, "ADD", description="forced")
        _, editor = await create_key(admin, role="EDITOR", teamIds=["t1"], name="team key")
        pending = await submit(
            admin,
            ndjson(
                {"operation": "UPDATE", "user_agent_id": "agent-1", "segment_id": int(listed),
                 "expiration_duration": 0},
                "{broken",
            ),
        )  # fmt: skip
        assert pending["job"]["status"] == "PENDING"
        ids = [gold, fql, listed]
        before = await snapshot(admin, ids)
    assert (tmp_path / DATA_FILE).exists()

    async with served(tmp_path) as admin:  # imports still idle: nothing moves
        assert await snapshot(admin, ids) == before
        # the key made through the API works on the new server, with its role and teams
        same = GraphQLClient(admin.http, editor.key)
        assert (await same.data(VIEWER))["viewer"] == {
            "tenant": "acme",
            "role": "EDITOR",
            "userId": None,
            "teamIds": ["t1"],
        }
    monkeypatch.undo()

    async with served(tmp_path) as admin:
        # the pending import resumes and ends
        job = await wait_for(admin, pending["job"]["id"])
        assert (job["status"], job["applied"], job["failed"]) == ("PARTIAL", 1, 1)
        members = await admin.data(MEMBERS, {"id": listed, "first": 50})
        assert "user_agent:agent-1" in [
            e["node"]["id"] for e in members["segment"]["members"]["edges"]
        ]
        check = await admin.data(CHECK, {"userId": "u2", "segmentIds": [gold]})
        assert check["membership"]["memberships"][0]["state"] == "BLOCKED"


async def test_the_store_is_written_while_serving(tmp_path):
    """What a crash leaves: the file as the last periodic write made it, read by a new
    server (on a copy: the first one still holds the directory)."""
    async with served(tmp_path / "live", persist_interval_seconds=0.2) as admin:
        await create_segment(admin, name="written while serving")
        await asyncio.sleep(0.6)
        (tmp_path / "crashed").mkdir()
        shutil.copy(tmp_path / "live" / DATA_FILE, tmp_path / "crashed" / DATA_FILE)
    async with served(tmp_path / "crashed") as admin:
        names = [e["node"]["name"] for e in (await admin.data(LIST_NAMES))["segments"]["edges"]]
        assert names == ["written while serving"]


async def test_a_second_server_on_the_same_directory_is_refused(tmp_path):
    async with served(tmp_path) as admin:
        with pytest.raises(DataDirError, match="in use by another seg-graphql server"):
            async with served(tmp_path):
                pass
        assert (await admin.data(VIEWER))["viewer"]["tenant"] == "acme"
    async with served(tmp_path) as admin:  # released at the stop
        assert (await admin.data(VIEWER))["viewer"]["tenant"] == "acme"


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        (lambda good: b"not bson at all", "unreadable"),
        (lambda good: good[: len(good) // 2], "unreadable"),
        (lambda good: good[:-30], "unreadable"),
        (lambda good: b"", "it is not a seg-graphql store file"),
    ],
)
async def test_corrupt_data_is_refused_and_kept(tmp_path, damage, why):
    async with served(tmp_path) as admin:
        for n in range(3):
            await create_segment(admin, name=f"s{n}")
    path = tmp_path / DATA_FILE
    bad = damage(path.read_bytes())
    path.write_bytes(bad)
    with pytest.raises(DataDirError, match=why) as raised:
        async with served(tmp_path):
            pass
    assert "Refusing to start with an empty store" in str(raised.value)
    assert path.read_bytes() == bad  # never overwritten
    os.remove(path)
    async with served(tmp_path) as admin:  # moved away: a fresh store
        assert (await admin.data(LIST))["segments"]["totalCount"] == 0


async def test_serve_warns_once_beyond_the_envelope(tmp_path, caplog):
    async with served(tmp_path) as admin:
        await upsert(admin, *({"userId": f"u{n}"} for n in range(5)))
    caplog.clear()
    async with served(tmp_path, embedded_user_warning=3) as admin:
        await upsert(admin, {"userId": "u9"})
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1, warnings
    assert "holds 5 users, beyond the 3 it serves well" in warnings[0]
    assert "docker compose up -d" in warnings[0]


async def test_each_start_replaces_the_printed_keys_and_keeps_the_others(tmp_path, capsys):
    async with served(tmp_path, dev_api_key=None) as first:
        printed = capsys.readouterr().out.split("Development key: ")[1].split()[0]
        starter = GraphQLClient(first.http, printed)
        _, kept = await create_key(starter, role="VIEWER", name="made through the API")
    async with served(tmp_path, dev_api_key=None) as second:
        again = capsys.readouterr().out.split("Development key: ")[1].split()[0]
        assert again != printed
        assert (await GraphQLClient(second.http, printed).post(VIEWER))["_status"] == 401
        assert (await GraphQLClient(second.http, kept.key).data(VIEWER))["viewer"][
            "role"
        ] == "VIEWER"
        keys = (await GraphQLClient(second.http, again).data(LIST_KEYS))["apiKeys"]["edges"]
        assert [(k["node"]["name"], k["node"]["revoked"]) for k in keys] == [
            ("development key", True),
            ("made through the API", False),
            ("development key", False),
        ]
