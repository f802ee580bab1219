"""The embedded store's equality indexes never change an answer: every query gives what a
plain scan gives, in the same order, whatever inserts, upserts, updates of indexed fields,
replacements and deletes came before (an index may offer too many candidates, never too few)."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from mongomock import MongoClient as MockClient
from pymongo import DeleteOne, UpdateOne

from seg_graphql.store.embedded import EmbeddedClient

TENANTS = st.sampled_from(["acme", "globex"])
USER_IDS = st.sampled_from(["u0", "u1", "u2"])
EMAILS = st.sampled_from(["a@x", "b@x", "c@x", None])
VALUES = st.one_of(st.none(), st.sampled_from(["u1", "u2", "a@x"]), st.lists(USER_IDS, max_size=2))

WRITES = st.one_of(
    st.tuples(st.just("upsert"), TENANTS, USER_IDS, EMAILS),
    st.tuples(st.just("set_email"), TENANTS, USER_IDS, EMAILS),
    st.tuples(st.just("rename"), TENANTS, USER_IDS, USER_IDS),
    st.tuples(st.just("odd_value"), TENANTS, USER_IDS, VALUES),
    st.tuples(st.just("replace"), TENANTS, USER_IDS, USER_IDS),
    st.tuples(st.just("unset"), TENANTS, USER_IDS, st.sampled_from(["userId", "emailLower"])),
    st.tuples(st.just("delete"), TENANTS, USER_IDS, st.none()),
    st.tuples(st.just("bulk_upsert"), TENANTS, USER_IDS, EMAILS),
)
QUERIES = st.one_of(
    st.tuples(TENANTS, USER_IDS).map(lambda t: {"tenant": t[0], "userId": t[1]}),
    st.tuples(TENANTS, st.lists(USER_IDS, max_size=3)).map(
        lambda t: {"tenant": t[0], "userId": {"$in": t[1]}}
    ),
    st.tuples(TENANTS, USER_IDS, EMAILS).map(
        lambda t: {"tenant": t[0], "$or": [{"emailLower": t[2]}, {"userId": t[1]}]}
    ),
    st.tuples(TENANTS, st.lists(EMAILS, max_size=2)).map(
        lambda t: {"$and": [{"tenant": t[0]}, {"emailLower": {"$in": t[1]}}]}
    ),
    st.tuples(TENANTS, USER_IDS).map(lambda t: {"tenant": {"$eq": t[0]}, "userId": t[1]}),
    st.just({}),
)


def calls(write) -> list:
    """(method, args, kwargs) of the collection calls a write makes."""
    kind, tenant, user, value = write
    key = {"tenant": tenant, "userId": user}
    if kind == "upsert":
        update = {"$set": {"emailLower": value}, "$setOnInsert": {"userId": user}}
        return [("update_one", (key, update), {"upsert": True})]
    if kind == "set_email":
        return [("update_many", ({"tenant": tenant}, {"$set": {"emailLower": value}}), {})]
    if kind == "rename":
        return [("update_one", (key, {"$set": {"userId": value}}), {})]
    if kind == "odd_value":
        return [("update_one", (key, {"$set": {"userId": value}}), {})]
    if kind == "replace":
        return [("replace_one", (key, {"tenant": tenant, "userId": value}), {})]
    if kind == "unset":
        return [("update_one", (key, {"$unset": {value: ""}}), {})]
    if kind == "delete":
        return [("delete_one", (key,), {})]
    requests = [
        UpdateOne(key, {"$set": {"emailLower": value}}, upsert=True),
        DeleteOne({"tenant": tenant, "userId": "u0"}),
    ]
    return [("bulk_write", (requests,), {})]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(
    writes=[("upsert", "acme", "u1", "a@x"), ("rename", "acme", "u1", "u2")],
    queries=[{"tenant": "acme", "userId": "u2"}],
)
@example(
    writes=[("upsert", "acme", "u1", "a@x"), ("set_email", "acme", "u1", "b@x")],
    queries=[{"tenant": "acme", "$or": [{"emailLower": "b@x"}, {"userId": "u9"}]}],
)
@example(
    writes=[("upsert", "acme", "u1", None), ("replace", "acme", "u1", "u2")],
    queries=[{"tenant": "acme", "userId": {"$in": ["u2"]}}],
)
@given(writes=st.lists(WRITES, max_size=25), queries=st.lists(QUERIES, min_size=1, max_size=8))
def test_indexed_answers_equal_a_scan(writes, queries):
    async def run() -> None:
        indexed = EmbeddedClient()["db"]["users"]
        plain = MockClient(tz_aware=False)["db"]["users"]
        for write in writes:
            for method, args, kwargs in calls(write):
                await getattr(indexed, method)(*args, **kwargs)
                if method == "bulk_write":
                    for request in args[0]:
                        if isinstance(request, UpdateOne):
                            plain.update_one(request._filter, request._doc, upsert=request._upsert)
                        else:
                            plain.delete_one(request._filter)
                else:
                    getattr(plain, method)(*args, **kwargs)
        for query in queries:
            expected = list(plain.find(query, {"_id": False}))  # ObjectIds differ
            assert await indexed.find(query, {"_id": False}).to_list(None) == expected, query
            assert await indexed.count_documents(query) == len(expected), query

    asyncio.run(run())
