"""The embedded store's envelope, through HTTP: `seg-graphql serve` in its own process, one
client. For each size it starts a fresh server, creates 20 segments (rules on profile fields,
one nested segment, one static list), upserts every user in batches of 500, then times
`user(id)`, the membership of one user in the 20 segments, the 20 segments' `userCount` in
one page, and `members(first: 50)`, each the median of several calls.

    .venv/bin/python bench/embedded_bench.py                 # 1,000 and 10,000 users
    .venv/bin/python bench/embedded_bench.py --users 1000 --upsert-cap 120

`--upsert-cap S` stops upserting after S seconds and prints the measured rate and a linear
extrapolation, labelled as such (a time cap for the slow side of a before/after comparison).
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

BATCH = 500
SEGMENTS = 20
TIERS = ["bronze", "silver", "gold", "platinum"]

UPSERT = """mutation($users: [UserInput!]!) {
  upsertUsers(users: $users) { userErrors { field code message } }
}"""
CREATE = """mutation($input: CreateSegmentInput!) {
  createSegment(input: $input) { segment { id } userErrors { field code message } }
}"""
ADD_USERS = """mutation($id: ID!, $users: [SegmentUserInput!]!) {
  addSegmentUsers(segmentId: $id, users: $users) { userErrors { code message } }
}"""
USER = "query($id: String!) { user(id: $id) { id tier points } }"
MEMBERSHIP = """query($u: String!, $ids: [ID!]!) {
  membership(userId: $u, segmentIds: $ids) { memberships { segment { id } isMember } }
}"""
COUNTS = "{ segments(first: 20) { edges { node { id userCount } } } }"
MEMBERS = "query($id: ID!) { segment(id: $id) { members(first: 50) { edges { cursor } } } }"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    def __init__(self, url: str, key: str) -> None:
        self.http = httpx.Client(headers={"Authorization": f"Bearer {key}"}, timeout=600)
        self.url = url

    def data(self, query: str, **variables: Any) -> Any:
        body = self.http.post(self.url, json={"query": query, "variables": variables}).json()
        if body.get("errors"):
            raise RuntimeError(body["errors"])
        return body["data"]

    def timed(self, query: str, repeat: int, **variables: Any) -> float:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            self.data(query, **variables)
            times.append(time.perf_counter() - started)
        return statistics.median(times)


def _user(i: int) -> dict[str, Any]:
    return {
        "userId": f"u{i}",
        "email": f"user{i}@example.com",
        "tier": TIERS[i % 4],
        "points": float(i % 5000),
        "xp": float(i % 97),
        "badges": ["early"] if i % 3 == 0 else [],
        "customFields": {"country": "fr" if i % 2 else "de"},
    }


def _segments(client: Client) -> list[str]:
    ids = []
    for n in range(SEGMENTS - 2):
        rules = {
            "include": [
                {"field": "tier", "operator": "IN", "value": TIERS[: 1 + n % 4]},
                {"field": "points", "operator": "GTE", "value": 100 * n},
            ],
            "exclude": [{"field": "badges", "operator": "CONTAINS", "value": "early"}]
            if n % 2
            else [],
        }
        payload = client.data(CREATE, input={"name": f"rules {n}", "rules": rules})
        ids.append(payload["createSegment"]["segment"]["id"])
    nested = {"include": [{"field": "segment", "operator": "EQUALS", "value": int(ids[0])}]}
    payload = client.data(CREATE, input={"name": "nested", "rules": nested})
    ids.append(payload["createSegment"]["segment"]["id"])
    payload = client.data(CREATE, input={"name": "list", "type": "STATIC"})
    ids.append(payload["createSegment"]["segment"]["id"])
    return ids


def _upsert(client: Client, users: int, cap: float | None) -> tuple[float, int]:
    started = time.perf_counter()
    done = 0
    while done < users:
        batch = [_user(i) for i in range(done, min(done + BATCH, users))]
        payload = client.data(UPSERT, users=batch)
        if payload["upsertUsers"]["userErrors"]:
            raise RuntimeError(payload["upsertUsers"]["userErrors"][:3])
        done += len(batch)
        if cap is not None and time.perf_counter() - started > cap:
            break
    return time.perf_counter() - started, done


def measure(users: int, cap: float | None, log: Path) -> dict[str, str]:
    port = _free_port()
    key = "sgk_" + secrets.token_urlsafe(32)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEG_")}
    env.update(SEG_DEV_API_KEY=key, SEG_PORT=str(port), SEG_LOG_LEVEL="warning")
    with log.open("ab") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "seg_graphql", "serve"], stdout=out, stderr=out, env=env
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(f"server did not start; see {log}")
            time.sleep(0.2)
        client = Client(f"http://127.0.0.1:{port}/graphql", key)
        ids = _segments(client)
        upsert_seconds, done = _upsert(client, users, cap)
        if done < users:
            projected = upsert_seconds * users / done
            upsert = (
                f"{upsert_seconds:.0f} s for {done:,} (capped); "
                f"linear extrapolation {projected:.0f} s"
            )
        else:
            upsert = f"{upsert_seconds:.1f} s"
        listed = [{"user": f"u{i}", "weight": 0.5 + (i % 2) / 2} for i in range(0, done, 10)][:500]
        client.data(ADD_USERS, id=ids[-1], users=listed)
        probe = f"u{done // 2}"
        return {
            "users": f"{users:,}",
            "upsert": upsert,
            "user": f"{client.timed(USER, 21, id=probe) * 1000:.1f} ms",
            "membership": f"{client.timed(MEMBERSHIP, 21, u=probe, ids=ids) * 1000:.1f} ms",
            "counts": f"{client.timed(COUNTS, 3):.2f} s",
            "members": f"{client.timed(MEMBERS, 5, id=ids[1]) * 1000:.0f} ms",
        }
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, action="append", help="sizes (default 1000, 10000)")
    parser.add_argument("--upsert-cap", type=float, default=None, help="seconds (see above)")
    args = parser.parse_args()
    sizes = args.users or [1_000, 10_000]
    log = Path(tempfile.gettempdir()) / f"embedded_bench_{os.getpid()}.log"
    print(
        f"embedded store over HTTP, one client; {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; server log {log}"
    )
    print(
        "| users | upsert all (500 a batch) | user(id) | membership, 20 segments "
        "| 20 segments' userCount | members(first: 50) |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for users in sizes:
        row = measure(users, args.upsert_cap, log)
        print(
            f"| {row['users']} | {row['upsert']} | {row['user']} | {row['membership']} "
            f"| {row['counts']} | {row['members']} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
