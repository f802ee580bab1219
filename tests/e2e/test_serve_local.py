"""`serve` for local use, as a user runs it: --data-dir (refusals are clear and exit 2)."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx

from seg_graphql.store.data_dir import DATA_FILE
from tests.e2e.processes import Server, clean_env, free_port
from tests.e2e.test_key_commands import serving


def serve(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seg_graphql", "serve", "--port", str(free_port()), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(**env),
    )


def test_serve_refuses_a_corrupt_data_directory(tmp_path):
    (tmp_path / DATA_FILE).write_bytes(b"\x10\x00\x00\x00garbage")
    result = serve("--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert f"error: {tmp_path / DATA_FILE} is unreadable" in result.stderr
    assert "Refusing to start with an empty store" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_a_directory_in_use(tmp_path):
    first = Server(tmp_path / "log", SEG_DATA_DIR=str(tmp_path / "data")).start()
    try:
        result = serve(SEG_DATA_DIR=str(tmp_path / "data"))
        assert result.returncode == 2
        assert "is in use by another seg-graphql server" in result.stderr
    finally:
        first.stop()
    assert (tmp_path / "data" / DATA_FILE).exists()  # written at the graceful stop


def test_serve_demo_prints_the_demo_key_and_serves_the_demo():
    with serving("--demo", tenants={"dev", "demo"}) as (url, keys):
        response = httpx.post(
            url,
            json={"query": "{ viewer { tenant } segments { totalCount } }"},
            headers={"Authorization": f"Bearer {keys['demo']}"},
        )
        assert response.json()["data"] == {
            "viewer": {"tenant": "demo"},
            "segments": {"totalCount": 5},
        }


def test_a_crash_loses_at_most_the_write_interval(tmp_path):
    """kill -9: no graceful write; what the last periodic write kept is served again, and
    the dead server's lock does not keep the next one out."""
    key = "sgk_" + "k" * 43
    env = {"SEG_DATA_DIR": str(tmp_path / "data"), "SEG_DEV_API_KEY": key}
    create = 'mutation { createSegment(input: {name: "kept", matchAll: true}) { segment { id } } }'
    first = Server(tmp_path / "log", **env, SEG_PERSIST_INTERVAL_SECONDS="0.3").start()
    try:
        first.data(key, create)
        time.sleep(1.5)  # several write intervals
    finally:
        first.kill()
    second = Server(tmp_path / "log", **env).start()
    try:
        names = second.data(key, "{ segments { edges { node { name } } } }")
        assert names == {"segments": {"edges": [{"node": {"name": "kept"}}]}}
    finally:
        second.stop()
