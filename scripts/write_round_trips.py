"""Database commands per membership write, through the public API on the embedded store:
addSegmentUsers (10 new users), the same again, removeSegmentUsers, setUserStatuses (10),
and one 10-line USER_SEGMENT import batch (counted inside the applier only, so the import
worker's polls do not count). Prints each count and the commands.

    python scripts/write_round_trips.py
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx

from seg_graphql.app import create_app
from seg_graphql.config import Settings
from seg_graphql.domain.models import Role
from seg_graphql.importer import applier
from seg_graphql.services.auth import mint_key
from seg_graphql.store.api_keys import ApiKeyStore
from seg_graphql.store.client import connect, prepare

CREATE = """mutation C($input: CreateSegmentInput!) { createSegment(input: $input) {
  segment { id } userErrors { message } } }"""
UPSERT = """mutation U($users: [UserInput!]!) { upsertUsers(users: $users) {
  userErrors { message } } }"""
ADD = """mutation A($segmentId: ID!, $users: [SegmentUserInput!]!) {
  addSegmentUsers(segmentId: $segmentId, users: $users) { userErrors { message } } }"""
REMOVE = """mutation R($segmentId: ID!, $users: [String!]!) {
  removeSegmentUsers(segmentId: $segmentId, users: $users) { userErrors { message } } }"""
STATUSES = """mutation S($inputs: [SetUserStatusInput!]!) { setUserStatuses(inputs: $inputs) {
  userErrors { message } } }"""
RUN = """mutation I($input: RunImportInput!) { runImport(input: $input) { job { id }
  userErrors { message } } }"""
JOB = """query J($id: ID!) { importJob(id: $id) { status applied } }"""


async def main() -> None:
    store = connect(None, f"trips_{uuid.uuid4().hex[:8]}", server_timeout_ms=5_000)
    await prepare(store)
    key = (await mint_key(ApiKeyStore(store.db), tenant="acme", role=Role.ADMIN)).key
    app = create_app(Settings(), store=store)
    apply_costs: list[list[str]] = []
    original = applier.SegmentLines.apply

    async def counted_apply(self: Any, records: Any) -> Any:
        before = len(store.counter.names)
        result = await original(self, records)
        apply_costs.append(store.counter.names[before:])
        return result

    applier.SegmentLines.apply = counted_apply  # type: ignore[method-assign]
    async with app.router.lifespan_context(app):
        app.state.wake_estimates = None
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://trips", headers=headers
        ) as http:

            async def data(query: str, variables: dict[str, Any]) -> dict[str, Any]:
                body = (
                    await http.post("/graphql", json={"query": query, "variables": variables})
                ).json()
                assert "errors" not in body, body
                return body["data"]

            async def cost(name: str, query: str, variables: dict[str, Any]) -> None:
                before = len(store.counter.names)
                await data(query, variables)
                names = store.counter.names[before:]
                print(f"{name:34s} {len(names):3d}  {' '.join(names)}")

            created = await data(CREATE, {"input": {"name": "VIP", "type": "STATIC"}})
            segment = created["createSegment"]["segment"]["id"]
            users = [{"userId": f"u{i}"} for i in range(10)]
            await data(UPSERT, {"users": users})
            entries = [{"user": f"u{i}"} for i in range(10)]
            await cost("addSegmentUsers (10 new)", ADD, {"segmentId": segment, "users": entries})
            await cost("addSegmentUsers (10 again)", ADD, {"segmentId": segment, "users": entries})
            refs = [f"u{i}" for i in range(10)]
            await cost("removeSegmentUsers (10)", REMOVE, {"segmentId": segment, "users": refs})
            inputs = [{"user": r, "segmentId": segment, "userStatus": "BLOCK"} for r in refs]
            await cost("setUserStatuses (10)", STATUSES, {"inputs": inputs})
            lines = [
                {
                    "operation": "UPDATE",
                    "segment_id": segment,
                    "email_hash": f"h{i}",
                    "expiration_duration": 0,
                }
                for i in range(10)
            ]
            content = "".join(json.dumps(line) + "\n" for line in lines)
            variables = {
                "input": {
                    "documentType": "USER_SEGMENT",
                    "format": "NDJSON",
                    "name": "trips",
                    "content": content,
                }
            }
            job_id = (await data(RUN, variables))["runImport"]["job"]["id"]
            for _ in range(1000):
                job = (await data(JOB, {"id": job_id}))["importJob"]
                if job["status"] not in ("PENDING", "RUNNING"):
                    break
                await asyncio.sleep(0.01)
    await store.close()
    for names in apply_costs:
        print(f"{'import batch (10 lines, applier)':34s} {len(names):3d}  {' '.join(names)}")


if __name__ == "__main__":
    asyncio.run(main())
