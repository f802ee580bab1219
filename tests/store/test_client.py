"""The store client: the tenant scope, the embedded bulk_write, and failing loudly."""

from __future__ import annotations

import socket

import pytest
from pymongo import InsertOne, UpdateOne
from pymongo.errors import BulkWriteError, ServerSelectionTimeoutError

from seg_graphql.store.client import connect, prepare
from seg_graphql.store.scoped import TenantCollection


async def test_unreachable_server_fails_instead_of_passing():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens here
    store = connect(f"mongodb://127.0.0.1:{port}/", "seg_unreachable", server_timeout_ms=300)
    try:
        with pytest.raises(ServerSelectionTimeoutError):
            await prepare(store)
        assert await store.ping() is False
    finally:
        await store.close()


async def test_tenant_scope_cannot_be_widened(store):
    acme = TenantCollection(store.db["things"], "acme")
    globex = TenantCollection(store.db["things"], "globex")
    await acme.insert_one({"n": 1, "tenant": "globex"})  # a forged tenant is overwritten
    await globex.insert_one({"n": 2})
    assert [d["n"] for d in await acme.find({}).to_list(None)] == [1]
    assert await acme.find_one({"tenant": "globex"}) is None
    assert await acme.find_one({"$or": [{"tenant": "globex"}, {"n": 2}]}) is None
    assert await acme.count_documents({"n": {"$gt": 0}}) == 1


async def test_scoped_updates_never_move_documents(store):
    acme = TenantCollection(store.db["things"], "acme")
    await acme.insert_one({"n": 1})
    await acme.update_one({"n": 1}, {"$set": {"tenant": "globex", "x": 1}})
    doc = await store.db["things"].find_one({"n": 1})
    assert doc["tenant"] == "acme" and doc["x"] == 1
    await acme.update_one({"n": 7}, {"$set": {"y": 1}}, upsert=True)
    assert (await store.db["things"].find_one({"n": 7}))["tenant"] == "acme"


async def test_scoped_aggregate_starts_with_the_tenant(store):
    for tenant, n in (("acme", 1), ("acme", 2), ("globex", 100)):
        await TenantCollection(store.db["things"], tenant).insert_one({"n": n})
    cursor = await TenantCollection(store.db["things"], "acme").aggregate(
        [{"$group": {"_id": None, "total": {"$sum": "$n"}}}]
    )
    assert [doc["total"] for doc in await cursor.to_list(None)] == [3]


async def test_bulk_write_counts_match_pymongo(store):
    coll = store.db["bulk"]
    await coll.create_index([("k", 1)], unique=True, name="k")
    result = await coll.bulk_write(
        [
            InsertOne({"k": 1, "v": 0}),
            UpdateOne({"k": 1}, {"$set": {"v": 1}}),
            UpdateOne({"k": 2}, {"$set": {"v": 2}}, upsert=True),
            UpdateOne({"k": 3}, {"$set": {"v": 3}}),
        ],
        ordered=True,
    )
    assert (
        result.inserted_count,
        result.matched_count,
        result.modified_count,
        result.upserted_count,
    ) == (1, 1, 1, 1)
    assert len(result.upserted_ids) == 1
    if store.capabilities.server != "ferretdb":
        # FerretDB v1.24 numbers `upserted[].index` within its own reply wrongly (index 0 for
        # the second statement); MongoDB and the embedded store give the batch position.
        assert list(result.upserted_ids) == [2]


async def test_ordered_bulk_write_stops_at_the_first_error(store):
    coll = store.db["bulk"]
    await coll.create_index([("k", 1)], unique=True, name="k")
    with pytest.raises(BulkWriteError) as caught:
        await coll.bulk_write([InsertOne({"k": 1}), InsertOne({"k": 1}), InsertOne({"k": 2})])
    details = caught.value.details
    assert details["nInserted"] == 1
    assert [e["index"] for e in details["writeErrors"]] == [1]
    assert details["writeErrors"][0]["code"] == 11000
    assert await coll.count_documents({}) == 1


async def test_unordered_bulk_insert_goes_on_after_an_error(store):
    coll = store.db["bulk"]
    await coll.create_index([("k", 1)], unique=True, name="k")
    with pytest.raises(BulkWriteError) as caught:
        await coll.bulk_write(
            [InsertOne({"k": 1}), InsertOne({"k": 1}), InsertOne({"k": 2})], ordered=False
        )
    assert caught.value.details["nInserted"] == 2
    assert sorted(d["k"] for d in await coll.find({}).to_list(None)) == [1, 2]
