"""A list entry written by addUsers and by an import line is the same write: same events,
same list size, same list-limit error (one owner: services/membership_writes.py)."""

from __future__ import annotations

from seg_graphql.domain.errors import ErrorCode
from tests.api.helpers import add_users, create_segment, editor_of_one_segment, upsert
from tests.api.import_helpers import ndjson, run_import
from tests.api.membership_queries import REMOVE_USERS, SEGMENT_HISTORY
from tests.api.queries import GET


def line(segment, operation="UPDATE", **fields):
    return {"operation": operation, "segment_id": segment, "expiration_duration": 0, **fields}


async def events(client, segment):
    history = (await client.data(SEGMENT_HISTORY, {"id": segment}))["segment"]["history"]
    return [
        (e["node"]["action"], e["node"]["before"], e["node"]["after"], e["node"]["source"])
        for e in reversed(history["edges"])
    ]


async def size(client, segment):
    return (await client.data(GET, {"id": segment}))["segment"]["estimatedSize"]


async def test_the_api_and_an_import_record_the_same_list_changes(admin):
    by_api = await create_segment(admin, name="By API", type="STATIC")
    by_import = await create_segment(admin, name="By import", type="STATIC")
    await upsert(admin, {"userId": "u1", "emailHash": "h1"})
    await add_users(admin, by_api, {"user": "u1"})
    await add_users(admin, by_api, {"user": "u1"})  # already listed: no second event
    await admin.data(REMOVE_USERS, {"segmentId": by_api, "users": ["u1"]})
    job = await run_import(
        admin,
        ndjson(
            line(by_import, email_hash="h1"),
            line(by_import, email_hash="h1"),
            line(by_import, "DELETE", email_hash="h1"),
        ),
    )
    assert job["status"] == "SUCCEEDED"
    api, imported = await events(admin, by_api), await events(admin, by_import)
    assert (
        [e[:3] for e in api]
        == [e[:3] for e in imported]
        == [
            ("LISTED", {"override": None, "listed": False}, {"override": None, "listed": True}),
            ("UNLISTED", {"override": None, "listed": True}, {"override": None, "listed": False}),
        ]
    )
    assert {e[3] for e in api} == {"API"} and {e[3] for e in imported} == {"IMPORT"}
    assert await size(admin, by_api) == await size(admin, by_import) == 0


async def test_a_full_list_gives_the_same_error_to_the_api_and_an_import(admin, monkeypatch):
    monkeypatch.setattr("seg_graphql.services.membership_writes.MAX_LISTED", 1)
    by_api = await create_segment(admin, name="By API", type="STATIC")
    by_import = await create_segment(admin, name="By import", type="STATIC")
    await upsert(admin, {"userId": "u1"}, {"userId": "u2"})
    await add_users(admin, by_api, {"user": "u1"})
    refused = await add_users(admin, by_api, {"user": "u2"})
    job = await run_import(
        admin, ndjson(line(by_import, email_hash="h1"), line(by_import, email_hash="h2"))
    )
    [api_error] = refused["userErrors"]
    [line_error] = job["errors"]
    assert api_error["code"] == line_error["code"] == "LIMIT_EXCEEDED"
    limit = "lists at most 1 users (limit); it lists 1 and this adds 1"
    assert api_error["message"] == f"segment {by_api} {limit}"
    assert line_error["message"] == f"segment {by_import} {limit}"


async def test_a_change_the_writer_refuses_is_reported_not_applied(admin, monkeypatch):
    """The writer decides the edit right: what it refuses comes back as a userError and a
    null membership, never as a change that happened."""
    from seg_graphql.services import membership_writes

    segment = await create_segment(admin, name="Refused", type="STATIC")
    await upsert(admin, {"userId": "u1"})

    def refuse(scope, segment):  # the service's own check passes; the writer's refuses
        return membership_writes.Refusal(ErrorCode.FORBIDDEN, "refused by the writer")

    monkeypatch.setattr(membership_writes, "refusal_to_edit", refuse)
    added = await add_users(admin, segment, {"user": "u1"})
    assert added["userErrors"] == [
        {"field": "users.0", "message": "refused by the writer", "code": "FORBIDDEN"}
    ]
    assert added["memberships"] == [None]
    assert await events(admin, segment) == []


async def test_the_writer_decides_the_edit_right_once_per_segment(admin, monkeypatch):
    from seg_graphql.services import membership_writes

    asked = []
    real = membership_writes.refusal_to_edit

    def counted(scope, segment):
        asked.append(segment.id)
        return real(scope, segment)

    monkeypatch.setattr(membership_writes, "refusal_to_edit", counted)
    segment = await create_segment(admin, name="Once", type="STATIC")
    await upsert(admin, *({"userId": f"u{i}"} for i in range(3)))
    added = await add_users(admin, segment, *({"user": f"u{i}"} for i in range(3)))
    assert added["userErrors"] == []
    assert asked == [int(segment)]


async def test_an_import_removing_an_unknown_user_needs_the_edit_right(admin, client_for):
    """Nobody to take off the list: the line applies (nothing happens) where the key may
    edit the segment, and is refused where it may not; the writer decides both."""
    editor, mine, locked = await editor_of_one_segment(admin, client_for)
    job = await run_import(
        editor,
        ndjson(line(mine, "DELETE", email_hash="nobody"), line(locked, "DELETE", email_hash="n")),
    )
    assert job["status"] == "PARTIAL"
    assert [(e["line"], e["code"]) for e in job["errors"]] == [(2, "FORBIDDEN")]
    assert await events(admin, mine) == await events(admin, locked) == []
