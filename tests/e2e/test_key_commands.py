"""The key commands as an operator runs them: against a running embedded server (`--url`
and an ADMIN key printed by `serve --tenant`), and on the database (SEG_MONGODB_URL)."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import REAL_URL
from tests.e2e.processes import clean_env, free_port
from tests.e2e.test_cli import run_cli as cli

VIEWER = {"query": "{ viewer { tenant role userId teamIds } }"}


def ask(url: str, key: str) -> httpx.Response:
    return httpx.post(url, json=VIEWER, headers={"Authorization": f"Bearer {key}"}, timeout=10)


@contextlib.contextmanager
def serving(*args: str, tenants: set[str], **env: str) -> Iterator[tuple[str, dict[str, str]]]:
    """`serve ARGS` on a free port: its URL and the key it printed for each tenant."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "seg_graphql", "serve", "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=clean_env(**env),
    )
    try:
        keys: dict[str, str] = {}
        lines: list[str] = []
        deadline = time.monotonic() + 30
        while set(keys) != tenants and time.monotonic() < deadline:
            lines.append(proc.stdout.readline())
            found = re.search(r"Development key:\s+(sgk_\S+)\s+\(tenant '(\w+)'", lines[-1])
            if found:
                keys[found.group(2)] = found.group(1)
        assert set(keys) == tenants, "".join(lines)
        for _ in range(100):
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz")
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/graphql", keys
    finally:
        proc.terminate()
        proc.wait(timeout=15)


@pytest.fixture
def two_tenants() -> Iterator[tuple[str, dict[str, str]]]:
    """`serve --tenant acme --tenant globex`."""
    args = ("--tenant", "acme", "--tenant", "globex")
    with serving(*args, tenants={"acme", "globex"}, SEG_AUTH_CACHE_SECONDS="0") as served:
        yield served


def test_key_commands_against_a_running_embedded_server(two_tenants):
    url, keys = two_tenants
    for tenant, key in keys.items():
        assert ask(url, key).json()["data"]["viewer"]["tenant"] == tenant
    made = cli(
        "create-api-key", "--url", url, "--role", "editor", "--user-id", "u1",
        "--team", "t1", "--name", "ci", "--expires-at", "2099-01-01T00:00:00",
        SEG_API_KEY=keys["acme"],
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    assert ask(url, secret).json()["data"]["viewer"] == {
        "tenant": "acme",
        "role": "EDITOR",
        "userId": "u1",
        "teamIds": ["t1"],
    }
    listed = cli("list-api-keys", "--url", url, "--key", keys["acme"], "--json")
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert secret not in listed.stdout
    ci = next(r for r in rows if r["name"] == "ci")
    assert (ci["role"], ci["prefix"], ci["expiresAt"]) == (
        "EDITOR",
        secret[:12],
        "2099-01-01T00:00:00.000Z",
    )
    assert len(rows) == 2  # the printed key and this one; never globex's
    table = cli("list-api-keys", "--url", url, "--key", keys["acme"])
    assert table.stdout.splitlines()[0].startswith("id\tprefix\trole")
    # globex's admin can neither see nor revoke acme's key
    other = cli("revoke-api-key", ci["id"], "--url", url, "--key", keys["globex"])
    assert other.returncode == 2 and f"NOT_FOUND: API key {ci['id']} not found" in other.stderr
    # an editor is not an admin
    refused = cli("list-api-keys", "--url", url, "--key", secret)
    assert refused.returncode == 2 and "FORBIDDEN" in refused.stderr
    revoked = cli("revoke-api-key", ci["id"], "--url", url, "--key", keys["acme"])
    assert revoked.returncode == 0, revoked.stderr
    assert ask(url, secret).status_code == 401  # SEG_AUTH_CACHE_SECONDS=0 here


def test_key_commands_need_a_database_or_a_server():
    for args in (("list-api-keys",), ("revoke-api-key", "0123456789ab")):
        result = cli(*args)
        assert result.returncode == 2 and "SEG_MONGODB_URL is not set" in result.stderr
    no_key = cli("list-api-keys", "--url", "http://127.0.0.1:9/graphql")
    assert no_key.returncode == 2 and "needs an ADMIN key" in no_key.stderr
    unreachable = cli("list-api-keys", "--url", f"http://127.0.0.1:{free_port()}/graphql",
                      "--key", "sgk_" + "x" * 43)  # fmt: skip
    assert unreachable.returncode == 2 and "cannot reach" in unreachable.stderr


@pytest.mark.skipif(not REAL_URL, reason="needs SEG_MONGODB_URL (the real-server lane)")
def test_key_commands_on_the_database():
    env = {"SEG_MONGODB_URL": REAL_URL, "SEG_DATABASE": f"seg_keys_{uuid.uuid4().hex[:10]}"}
    made = cli("create-api-key", "--tenant", "acme", "--role", "VIEWER", "--name", "ro", **env)
    assert made.returncode == 0, made.stderr
    cli("create-api-key", "--tenant", "globex", "--role", "ADMIN", **env)
    rows = [
        json.loads(line)
        for line in cli("list-api-keys", "--tenant", "acme", "--json", **env).stdout.splitlines()
    ]
    assert [(r["name"], r["role"], r["prefix"]) for r in rows] == [
        ("ro", "VIEWER", made.stdout.strip()[:12])
    ]
    revoked = cli("revoke-api-key", rows[0]["id"], "--tenant", "acme", **env)
    assert revoked.returncode == 0, revoked.stderr
    again = cli("list-api-keys", "--tenant", "acme", "--json", **env)
    assert json.loads(again.stdout)["revoked"] is True
    missing = cli("revoke-api-key", rows[0]["id"], "--tenant", "globex", **env)
    assert missing.returncode == 2 and "NOT_FOUND" in missing.stderr
