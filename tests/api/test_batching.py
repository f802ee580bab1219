"""Round trips: lists of segments with members, users with segments, and the real-time check
cost a constant number of database commands, however many items they hold."""

from __future__ import annotations

from tests.api.helpers import add_users, create_segment, set_status, upsert
from tests.api.membership_queries import CHECK

SEGMENTS_WITH_MEMBERS = """query { segments(first: %d) { edges { node {
  id userCount members(first: 10) { totalCount edges { node { id tier } } } } } } }"""

USERS_WITH_SEGMENTS = """query { users(first: %d) { edges { node {
  id segments { id name } memberships { state segment { id } } } } } }"""


async def given_segments_and_users(admin, segments=12, users=30):
    await upsert(
        admin,
        *(
            {"userId": f"u{i:02d}", "tier": ["gold", "silver"][i % 2], "points": i * 10}
            for i in range(users)
        ),
    )
    ids = []
    for n in range(segments):
        if n % 3 == 0:
            segment = await create_segment(admin, name=f"static {n}", type="STATIC")
            await add_users(admin, segment, *({"user": f"u{i:02d}"} for i in range(n % 7)))
        else:
            segment = await create_segment(
                admin,
                name=f"dyn {n}",
                rules={"include": [{"field": "points", "operator": "GTE", "value": n * 10}]},
            )
        ids.append(segment)
    await set_status(admin, "u01", ids[1], "BLOCK")
    return ids


async def commands(store, client, query, variables):
    if "n" in variables:
        query, variables = query % variables["n"], {}
    await client.data(query, variables)  # warm the key cache
    before = store.counter.count
    body = await client.data(query, variables)
    return store.counter.count - before, body


async def test_segments_with_members_cost_constant_round_trips(admin, store):
    await given_segments_and_users(admin)
    few, _ = await commands(store, admin, SEGMENTS_WITH_MEMBERS, {"n": 2})
    many, large = await commands(store, admin, SEGMENTS_WITH_MEMBERS, {"n": 12})
    assert len(large["segments"]["edges"]) == 12
    node = large["segments"]["edges"][1]["node"]  # points >= 10, u01 blocked
    assert node["userCount"] == node["members"]["totalCount"] == 28
    assert [e["node"]["id"] for e in node["members"]["edges"]][:3] == ["u02", "u03", "u04"]
    if store.capabilities.facet:
        # the segment page, one $facet for the member pages, one $facet for the counts
        assert few == many == 3, store.counter.names[-many:]
    else:
        # FerretDB v1 has no $facet: one command per segment for pages and for counts
        assert many == 1 + 2 * 12


async def test_users_with_segments_cost_constant_round_trips(admin, store):
    await given_segments_and_users(admin)
    few, _ = await commands(store, admin, USERS_WITH_SEGMENTS, {"n": 2})
    many, body = await commands(store, admin, USERS_WITH_SEGMENTS, {"n": 30})
    assert few == many == 2  # the users page, then every segment of the tenant once
    u01 = next(e["node"] for e in body["users"]["edges"] if e["node"]["id"] == "u01")
    assert {"state": "BLOCKED", "segment": {"id": "2"}} in u01["memberships"]


async def test_membership_check_is_one_read_of_the_user(admin, store):
    ids = await given_segments_and_users(admin)
    one, _ = await commands(store, admin, CHECK, {"userId": "u05", "segmentIds": ids[:1]})
    all_, body = await commands(store, admin, CHECK, {"userId": "u05", "segmentIds": ids})
    assert one == all_ == 2  # the user document and the segment definitions, concurrently
    states = [m["state"] for m in body["membership"]["memberships"]]
    assert len(states) == 12 and states[0] == "NONE" and states[6] == "LISTED"


async def test_membership_check_errors(admin):
    ids = await given_segments_and_users(admin, segments=2, users=2)
    unknown_user = await admin.post(CHECK, {"userId": "ghost", "segmentIds": ids})
    assert unknown_user["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    unknown_segment = await admin.post(CHECK, {"userId": "u00", "segmentIds": ["99"]})
    assert unknown_segment["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    too_many = await admin.post(CHECK, {"userId": "u00", "segmentIds": ["1"] * 101})
    assert too_many["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"


async def test_history_resolves_segments_and_users_in_batches(admin, store):
    ids = await given_segments_and_users(admin, segments=6, users=8)
    query = """query($id: String!) { user(id: $id) { history(first: 50) { edges { node {
      action segment { id name } user { id } } } } } }"""
    for segment in ids[:6]:
        await set_status(admin, "u03", segment, "ADD")
    cost, body = await commands(store, admin, query, {"id": "u03"})
    events = body["user"]["history"]["edges"]
    assert len(events) >= 6 and all(e["node"]["user"]["id"] == "u03" for e in events)
    assert {e["node"]["segment"]["id"] for e in events} >= set(ids[:6])
    assert cost == 4  # user, events page, one batch of segments, one batch of users


async def test_membership_check_never_answers_for_another_tenants_segment(client_for):
    globex = await client_for("globex")
    theirs = await create_segment(globex, matchAll=True)
    acme = await client_for("acme")
    await upsert(acme, {"userId": "u1"})
    mine = await create_segment(acme, type="STATIC")
    body = await acme.post(CHECK, {"userId": "u1", "segmentIds": [mine, str(int(theirs) + 1)]})
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    # the same numeric id exists in both tenants: acme's answer is about acme's segment only
    own = await acme.data(CHECK, {"userId": "u1", "segmentIds": [theirs]})
    assert own["membership"]["memberships"][0]["segment"]["id"] == theirs == mine


async def test_upserting_users_costs_constant_round_trips(admin, store):
    from tests.api.membership_queries import UPSERT

    def batch(prefix, n):
        return [
            {
                "userId": f"{prefix}{i}",
                "email": f"{prefix}{i}@x.io",
                "emailHash": f"h{prefix}{i}",
                "userAgentId": f"ua{prefix}{i}",
            }
            for i in range(n)
        ]

    await admin.data(UPSERT, {"users": batch("w", 1)})  # warm the key cache
    costs = []
    for prefix, n in (("a", 2), ("b", 30)):
        before = store.counter.count
        body = await admin.data(UPSERT, {"users": batch(prefix, n)})
        assert body["upsertUsers"]["userErrors"] == []
        costs.append(store.counter.count - before)
    # one read for identifier conflicts, one bulk write, one read back
    assert costs == [3, 3], store.counter.names[-sum(costs) :]


async def test_repeated_status_changes_read_the_stored_users_once(admin, store):
    """A change that loses to a newer one reports the user as stored: one read for the
    whole batch, not one per change (each change itself is one conditional update)."""
    from tests.api.membership_queries import SET_STATUSES

    segment = await create_segment(admin, name="s", type="STATIC")
    await upsert(admin, *({"userId": f"u{i}"} for i in range(10)))

    def changes(n):
        return [
            {
                "user": f"u{i}",
                "segmentId": segment,
                "userStatus": "ADD",
                "metadata": {"statusChangeTimestamp": 1_700_000_000},
            }
            for i in range(n)
        ]

    await admin.data(SET_STATUSES, {"inputs": changes(10)})
    few, _ = await commands(store, admin, SET_STATUSES, {"inputs": changes(2)})
    many, body = await commands(store, admin, SET_STATUSES, {"inputs": changes(10)})
    results = body["setUserStatuses"]["results"]
    assert [r["applied"] for r in results] == [False] * 10
    assert {r["membership"]["override"] for r in results} == {"ADD"}
    assert many - few == 8, store.counter.names[-many:]
