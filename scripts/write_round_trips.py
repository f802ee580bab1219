"""Database commands per membership write, through the public API on the embedded store:
addSegmentUsers (10 new users), the same again, removeSegmentUsers, setUserStatuses (10),
and one 10-line USER_SEGMENT import batch (counted inside the applier only, so the import
worker's polls do not count). Prints each count and the commands.

    python scripts/write_round_trips.py
"""

from __future__ import annotations

import asyncio
from typing import Any

from embedded_api import embedded_api, finished_job, submit_import

from seg_graphql.importer import applier

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


async def main() -> None:
    apply_costs: list[list[str]] = []
    async with embedded_api() as (store, data):
        original = applier.SegmentLines.apply

        async def counted_apply(self: Any, records: Any) -> Any:
            before = len(store.counter.names)
            result = await original(self, records)
            apply_costs.append(store.counter.names[before:])
            return result

        applier.SegmentLines.apply = counted_apply  # type: ignore[method-assign]

        async def cost(name: str, query: str, variables: dict[str, Any]) -> None:
            before = len(store.counter.names)
            await data(query, variables)
            names = store.counter.names[before:]
            print(f"{name:34s} {len(names):3d}  {' '.join(names)}")

        created = await data(CREATE, {"input": {"name": "VIP", "type": "STATIC"}})
        segment = created["createSegment"]["segment"]["id"]
        await data(UPSERT, {"users": [{"userId": f"u{i}"} for i in range(10)]})
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
        await finished_job(data, await submit_import(data, lines))
    for names in apply_costs:
        print(f"{'import batch (10 lines, applier)':34s} {len(names):3d}  {' '.join(names)}")


if __name__ == "__main__":
    asyncio.run(main())
