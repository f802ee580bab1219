"""The demo tenant `serve --demo` loads: a little of every feature, made through the GraphQL
API (the same mutations a client sends), so it is exactly what a client would have built.

Loaded once: a tenant that already has segments (a data directory from an earlier run) is
left as it is.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import strawberry

from seg_graphql.domain.models import Principal, Role
from seg_graphql.graphql.context import Context
from seg_graphql.store.client import Store

log = logging.getLogger(__name__)

DEMO_TENANT = "demo"

_TIERS = ["bronze", "silver", "gold", "platinum"]
_COUNTRIES = ["fr", "de", "es", "it"]


class DemoError(RuntimeError):
    """A demo step was refused: the demo and the API disagree (a bug to fix)."""


def demo_users() -> list[dict[str, Any]]:
    users = []
    for n in range(1, 41):
        users.append(
            {
                "userId": f"u{n}",
                "email": f"user{n}@demo.example",
                "tier": _TIERS[n % 4],
                "points": float(n * 97 % 2500),
                "xp": float(n * 13 % 120),
                "coins": float(n * 7),
                "badges": [b for b, on in (("early", n % 3 == 0), ("test", n % 10 == 0)) if on],
                "customFields": {
                    "country": _COUNTRIES[n // 4 % 4],
                    "plan": "pro" if n % 2 else "free",
                },
            }
        )
    return users


UPSERT = "mutation($u: [UserInput!]!) { upsertUsers(users: $u) { userErrors { field message } } }"
CREATE = """mutation($i: CreateSegmentInput!) {
  createSegment(input: $i) { segment { id } userErrors { field message } } }"""
ATTACH = """mutation($s: ID!, $l: SegmentLinkInput!) {
  attachSegmentLink(segmentId: $s, link: $l) { userErrors { field message } } }"""
ADD = """mutation($s: ID!, $u: [SegmentUserInput!]!) {
  addSegmentUsers(segmentId: $s, users: $u) { userErrors { field message } } }"""
STATUS = """mutation($i: [SetUserStatusInput!]!) {
  setUserStatuses(inputs: $i) { userErrors { field message } } }"""
IMPORT = """mutation($i: RunImportInput!) {
  runImport(input: $i) { job { id } userErrors { field message } } }"""

_VIPS = {
    "include": [
        {"field": "tier", "operator": "IN", "value": ["gold", "platinum"]},
        {"field": "points", "operator": "GTE", "value": 1000},
    ],
    "exclude": [{"field": "badges", "operator": "CONTAINS", "value": "test"}],
}


def demo_import() -> str:
    """USER_SEGMENT lines onto the newsletter list: most good, three bad on purpose."""
    lines: list[Any] = [
        {
            "operation": "UPDATE",
            "email_hash": f"hash-{n}",
            "segment_technical_name": "newsletter",
            "expiration_duration": 0,
            "weight": 0.5,
            "data_bag": json.dumps({"source": "crm"}),
        }
        for n in range(1, 6)
    ]
    lines.insert(2, '{"operation": "UPDATE", "email_hash": ')  # cut JSON
    lines.append(  # no such segment
        {"operation": "UPDATE", "email_hash": "hash-9", "segment_id": 999,
         "expiration_duration": 0}
    )  # fmt: skip
    lines.append(  # expiration_duration is mandatory
        {"operation": "UPDATE", "email_hash": "hash-10", "segment_technical_name": "newsletter"}
    )
    return "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)


class _Client:
    def __init__(self, schema: strawberry.Schema, store: Store) -> None:
        self._schema = schema
        self._context = Context(
            store=store,
            principal=Principal(tenant=DEMO_TENANT, role=Role.ADMIN, key_id="demo"),
            request_id="demo",
        )

    async def run(self, document: str, **variables: Any) -> Any:
        result = await self._schema.execute(
            document, variable_values=variables, context_value=self._context
        )
        if result.errors:
            raise DemoError(f"demo step failed: {result.errors[0].message}")
        (payload,) = (result.data or {}).values()
        if payload.get("userErrors"):
            raise DemoError(f"demo step refused: {payload['userErrors']}")
        return payload

    async def segment(self, **input_: Any) -> str:
        return (await self.run(CREATE, i=input_))["segment"]["id"]


async def load_demo(store: Store, schema: strawberry.Schema) -> bool:
    """Loads the demo tenant; False when it is there already."""
    if await store.db["segments"].count_documents({"tenant": DEMO_TENANT}, limit=1):
        return False
    client = _Client(schema, store)
    await client.run(UPSERT, u=demo_users())
    gold = await client.segment(
        name="Gold members",
        technicalName="gold_members",
        description="Dynamic: one include criterion.",
        rules={"include": [{"field": "tier", "operator": "EQUALS", "value": "gold"}]},
    )
    await client.segment(
        name="Engaged VIPs",
        technicalName="engaged_vips",
        description="Dynamic: include and exclude criteria.",
        rules=_VIPS,
    )
    await client.segment(
        name="French regulars",
        technicalName="french_regulars",
        description="Dynamic, written as FQL.",
        fql=[{"customFields.country": {"$eq": "fr"}}, {"xp": {"$gte": 40}}],
    )
    await client.segment(
        name="Gold in Spain",
        technicalName="gold_in_spain",
        description="A segment inside a segment: members of 'Gold members' in Spain.",
        rules={
            "include": [
                {"field": "segment", "operator": "EQUALS", "value": int(gold)},
                {"field": "customFields.country", "operator": "EQUALS", "value": "es"},
            ]
        },
    )
    newsletter = await client.segment(
        name="Newsletter",
        technicalName="newsletter",
        type="STATIC",
        description="A static list: weights, expiries, data bags; editable by its team.",
        editableBy="ASSIGNED",
        teamId="marketing",
    )
    for link in ({"type": "TEAM", "id": "marketing"}, {"type": "USER", "id": "u1"}):
        await client.run(ATTACH, s=newsletter, l=link)
    await client.run(
        ADD,
        s=newsletter,
        u=[
            {"user": "u1", "weight": 1.0, "expirationDuration": 0},
            {"user": "user2@demo.example", "weight": 0.8, "expirationDuration": 60 * 24 * 30},
            {"user": "u3", "weight": 0.4, "expirationDuration": 60 * 24 * 7},
            {"user": "u4", "weight": 0.2, "expirationDuration": 1},  # gone within a minute
            {"user": "u5", "dataBag": {"campaign": "spring"}, "expirationDuration": 0},
        ],
    )
    await client.run(
        STATUS,
        i=[
            {
                "user": "u3",
                "segmentId": gold,
                "userStatus": "ADD",
                "metadata": {"referenceId": "crm-42", "description": "VIP by hand"},
            },
            {
                "user": "u2",
                "segmentId": gold,
                "userStatus": "BLOCK",
                "metadata": {"referenceId": "crm-43", "description": "asked to leave"},
            },
            {"user": "u5", "segmentId": newsletter, "userStatus": "BLOCK"},
        ],
    )
    await client.run(
        IMPORT,
        i={
            "documentType": "USER_SEGMENT",
            "format": "NDJSON",
            "name": "demo newsletter import",
            "content": demo_import(),
        },
    )
    log.info("demo tenant '%s' loaded", DEMO_TENANT)
    return True
