"""`serve` for local use, as a user runs it: --data-dir (refusals are clear and exit 2)."""

from __future__ import annotations

import subprocess
import sys

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
