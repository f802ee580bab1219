"""The command line as a user runs it: `serve` on the embedded store, `create-api-key`."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid

import httpx
import pytest

from seg_graphql.services.auth import Authenticator
from seg_graphql.store.api_keys import ApiKeyStore
from seg_graphql.store.client import connect
from tests.conftest import REAL_URL
from tests.e2e.processes import clean_env, free_port


def test_serve_prints_a_key_that_works():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "seg_graphql", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=clean_env(),
    )
    try:
        key, lines, deadline = None, [], time.monotonic() + 30
        while key is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            match = re.search(r"Development key:\s+(sgk_\S+)", line)
            key = match.group(1) if match else None
        assert key, "".join(lines)
        assert any(f"http://127.0.0.1:{port}/graphql" in line for line in lines)
        for _ in range(100):
            try:
                response = httpx.post(
                    f"http://127.0.0.1:{port}/graphql",
                    json={"query": "{ viewer { tenant role } }"},
                    headers={"Authorization": f"Bearer {key}"},
                    timeout=5,
                )
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        assert response.json() == {"data": {"viewer": {"tenant": "dev", "role": "ADMIN"}}}
        assert httpx.get(f"http://127.0.0.1:{port}/readyz").json()["store"] == "embedded"
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seg_graphql", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(**env),
    )


def test_create_api_key_needs_a_database():
    result = run_cli("create-api-key", "--tenant", "acme", "--role", "ADMIN")
    assert result.returncode == 2
    assert "SEG_MONGODB_URL is not set" in result.stderr


def test_create_api_key_rejects_a_bad_role():
    result = run_cli("create-api-key", "--tenant", "acme", "--role", "ROOT")
    assert result.returncode == 2


@pytest.mark.skipif(not REAL_URL, reason="needs SEG_MONGODB_URL (the real-server lane)")
async def test_create_api_key_stores_a_hash_and_the_key_authenticates():
    database = f"seg_cli_{uuid.uuid4().hex[:10]}"
    bad = run_cli(
        "create-api-key",
        "--tenant",
        "no spaces!",
        "--role",
        "ADMIN",
        SEG_MONGODB_URL=REAL_URL,
        SEG_DATABASE=database,
    )
    assert bad.returncode == 2 and "tenant must be" in bad.stderr
    result = run_cli(
        "create-api-key",
        "--tenant",
        "acme",
        "--role",
        "editor",
        "--user-id",
        "u1",
        "--team",
        "t1",
        "--team",
        "t2",
        SEG_MONGODB_URL=REAL_URL,
        SEG_DATABASE=database,
    )
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip()
    store = connect(REAL_URL, database)
    try:
        principal = await Authenticator(ApiKeyStore(store.db)).authenticate(f"Bearer {key}")
        assert (principal.tenant, principal.role.value, principal.user_id) == (
            "acme",
            "EDITOR",
            "u1",
        )
        assert principal.team_ids == {"t1", "t2"}
        assert key not in str(await store.db["api_keys"].find_one({}))
    finally:
        await store.client.drop_database(database)
        await store.close()
