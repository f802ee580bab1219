"""The served process: idle and slow-header connections are closed, logs are one structured
line per request (no key, no variables, no traces for client errors), settings are checked."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.processes import Server, clean_env

KEY = "sgk_" + "k" * 32
MARKER = "secret-data-bag-marker"


@pytest.fixture
def server(tmp_path: Path):
    running = Server(
        tmp_path / "server.log",
        SEG_IDLE_TIMEOUT_SECONDS="1",
        SEG_LOG_FORMAT="json",
        SEG_DEV_API_KEY=KEY,
    ).start()
    try:
        yield running
    finally:
        running.stop()


def _closed_within(sock: socket.socket, seconds: float, trickle: bytes = b"") -> float | None:
    """Seconds until the server closes `sock` (sending `trickle` a byte at a time), or None."""
    started = time.monotonic()
    sock.settimeout(0.2)
    sent = 0
    while time.monotonic() - started < seconds:
        if sent < len(trickle):
            try:
                sock.send(trickle[sent : sent + 1])
            except OSError:
                return time.monotonic() - started
            sent += 1
        try:
            if sock.recv(4096) == b"":
                return time.monotonic() - started
        except TimeoutError:
            continue
        except OSError:
            return time.monotonic() - started
    return None


def test_silent_and_slow_header_connections_are_closed(server):
    with socket.create_connection(("127.0.0.1", server.port)) as silent:
        assert (took := _closed_within(silent, 5)) is not None and took < 3
    slowloris = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100
    with socket.create_connection(("127.0.0.1", server.port)) as slow:
        assert (took := _closed_within(slow, 5, slowloris)) is not None and took < 3
    with httpx.Client() as client:  # an idle keep-alive connection too, after its response
        assert client.get(f"http://127.0.0.1:{server.port}/healthz").status_code == 200
    assert httpx.get(f"http://127.0.0.1:{server.port}/healthz").status_code == 200


def test_one_structured_access_line_per_request(server):
    headers = {"Authorization": f"Bearer {KEY}"}
    httpx.post(
        server.url,
        json={"query": "query Who { viewer { tenant } }", "operationName": "Who"},
        headers=headers,
    )
    httpx.post(server.url, json={"query": '{ segment(id: "404") { id } }'}, headers=headers)
    httpx.post(
        server.url,
        json={"query": "{ viewer { tenant } }"},
        headers={"Authorization": "Bearer sgk_" + "x" * 30},
    )
    httpx.post(
        server.url,
        json={
            "query": 'mutation($u: [SegmentUserInput!]!) { addSegmentUsers(segmentId: "1", users: $u) { userErrors { code } } }',
            "variables": {"u": [{"user": "u1", "dataBag": {"note": MARKER}}]},
        },
        headers=headers,
    )
    time.sleep(0.3)
    text = server.log.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("logger") == "seg_graphql.access"]
    assert [(a["operation"], a["status"], a["error_codes"]) for a in access] == [
        ("Who", 200, []),
        (None, 200, ["NOT_FOUND"]),
        (None, 401, ["UNAUTHENTICATED"]),
        (None, 200, []),
    ]
    for line in access:
        assert line["level"] == "info" and line["timestamp"] and line["request_id"]
        assert isinstance(line["duration_ms"], float)
    assert [a["tenant"] for a in access] == ["dev", "dev", None, "dev"]
    logged = "\n".join(json.dumps(line) for line in lines)  # the start-up banner shows the key
    assert KEY not in logged and MARKER not in text and "x" * 30 not in text
    assert "Traceback" not in text  # client errors are not faults


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SEG_LOG_LEVEL": "loud"}, "log_level"),
        ({"SEG_LOG_FORMAT": "xml"}, "log_format"),
        ({"SEG_ALLOW_EMBEDDED": "0"}, "SEG_ALLOW_EMBEDDED"),
    ],
)
def test_serve_refuses_bad_settings(env, message):
    result = subprocess.run(
        [sys.executable, "-m", "seg_graphql", "serve", "--port", "1"],
        capture_output=True,
        text=True,
        env=clean_env(**env),
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert message in result.stderr


def test_the_image_healthcheck_passes_against_a_serving_process(server):
    dockerfile = (Path(__file__).resolve().parents[2] / "Dockerfile").read_text()
    assert "SEG_ALLOW_EMBEDDED=0" in dockerfile
    healthcheck = re.search(r"HEALTHCHECK .*?CMD (\[.*?\])\n", dockerfile, re.S)
    assert healthcheck, dockerfile
    command = json.loads(healthcheck.group(1).replace("\\\n", ""))
    env = clean_env(SEG_PORT=str(server.port))
    assert command[0] == "python"
    assert subprocess.run([sys.executable, *command[1:]], env=env, timeout=30).returncode == 0
    server.stop()
    assert subprocess.run([sys.executable, *command[1:]], env=env, timeout=30).returncode != 0
