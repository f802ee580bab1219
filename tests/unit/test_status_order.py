"""Applying the same status changes in any order gives the same final state (hypothesis)."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from seg_graphql.domain.models import Principal, Role
from seg_graphql.services.membership import MembershipService
from seg_graphql.services.scope import Scope
from seg_graphql.services.segments import SegmentService
from seg_graphql.services.users import UserService
from seg_graphql.store.client import connect, prepare

changes = st.lists(
    st.fixed_dictionaries(
        {
            "userStatus": st.sampled_from(["ADD", "BLOCK", "RESET"]),
            "metadata": st.fixed_dictionaries(
                {
                    "statusChangeTimestamp": st.integers(
                        min_value=1_600_000_000, max_value=1_600_000_005
                    ),
                    "referenceId": st.sampled_from([None, "a", "b"]),
                }
            ),
        }
    ),
    min_size=1,
    max_size=8,
)


async def final_state(items: list[dict]) -> tuple:
    store = await prepare(connect(None, "order"))
    principal = Principal("acme", Role.ADMIN)
    segment = await SegmentService(Scope(store, principal)).create({"name": "s", "matchAll": True})
    await UserService(Scope(store, principal)).upsert([{"userId": "u1"}])
    service = MembershipService(Scope(store, principal))
    for item in items:
        batch = await service.set_statuses(
            [{**item, "user": "u1", "segmentId": str(segment.id)}], "input"
        )
        assert not batch.problems
    entry = (await service.users.get_many(["u1"]))["u1"].entry(segment.id)
    return entry.override, entry.version, entry.reference_id


@given(items=changes, data=st.data())
@settings(max_examples=80, deadline=None)
def test_any_order_converges(items, data):
    shuffled = data.draw(st.permutations(items))
    assert asyncio.run(final_state(items)) == asyncio.run(final_state(list(shuffled)))
