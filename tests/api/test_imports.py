"""runImport end to end through the API: USER_SEGMENT and USER_PROFILE, NDJSON and CSV,
per-line errors, job-level failures, tenancy and roles."""

from __future__ import annotations

import orjson
import pytest

from seg_graphql.domain.models import Role
from tests.api.helpers import create_segment, editor_of_one_segment, upsert
from tests.api.import_helpers import (
    IMPORT_JOB,
    IMPORT_JOBS,
    RUN_IMPORT,
    ndjson,
    run_import,
    submit,
    wait_for,
)
from tests.api.membership_queries import CHECK, MEMBERS, SEGMENT_HISTORY, USER


def update(segment, **fields):
    return {"operation": "UPDATE", "segment_id": segment, "expiration_duration": 0, **fields}


async def member_ids(client, segment_id):
    body = await client.data(MEMBERS, {"id": segment_id, "first": 100})
    return sorted(e["node"]["id"] for e in body["segment"]["members"]["edges"])


async def test_user_segment_ndjson_creates_users_and_mixes_update_and_delete(admin):
    vip = await create_segment(admin, name="VIP", type="STATIC", technicalName="vip")
    churn = await create_segment(admin, name="Churn", type="STATIC")
    content = ndjson(
        update(vip, compartment_id="1", user_account_id="a1", expiration_duration=60),
        update(vip, email_hash="h2", weight=0.25, data_bag='{"source": "crm"}'),
        {
            "operation": "UPDATE",
            "segment_technical_name": "vip",
            "user_agent_id": "ua3",
            "expiration_duration": 0,
        },
        update(churn, email_hash="h2"),
        {
            "operation": "DELETE",
            "segment_id": vip,
            "user_agent_id": "ua3",
            "expiration_duration": 0,
        },
    )
    job = await run_import(admin, content)
    assert job["status"] == "SUCCEEDED", job
    assert (job["total"], job["applied"], job["failed"]) == (5, 5, 0)
    assert job["progress"] == 1.0 and job["errors"] == [] and job["error"] is None
    assert job["startedAt"] and job["finishedAt"] and job["sizeBytes"] == len(content.encode())

    assert await member_ids(admin, vip) == ["account:1:a1", "email_hash:h2"]
    assert await member_ids(admin, churn) == ["email_hash:h2"]
    body = await admin.data(CHECK, {"userId": "email_hash:h2", "segmentIds": [vip]})
    (membership,) = body["membership"]["memberships"]
    assert membership["listed"] and membership["weight"] == 0.25
    assert membership["dataBag"] == {"source": "crm"}
    user = (await admin.data(USER, {"id": "account:1:a1"}))["user"]
    (entry,) = [m for m in user["memberships"] if m["segment"]["id"] == vip]
    minutes = (_unix(entry["expiresAt"]) - _unix(job["createdAt"])) / 60
    assert minutes == pytest.approx(60, abs=0.02)


async def test_lines_name_existing_users_by_any_identifier(admin):
    vip = await create_segment(admin, name="VIP", type="STATIC")
    await upsert(
        admin,
        {"userId": "u1", "emailHash": "h1"},
        {"userId": "u2", "userAccountId": "a2", "compartmentId": "c"},
        {"userId": "u3", "userAgentId": "ua3"},
    )
    content = ndjson(
        update(vip, email_hash="h1"),
        update(vip, compartment_id="c", user_account_id="a2"),
        # the account is unknown, so the next identifier names the user
        update(vip, compartment_id="c", user_account_id="nobody", user_agent_id="ua3"),
        # the same account id in another compartment is another user
        update(vip, compartment_id="d", user_account_id="a2"),
    )
    job = await run_import(admin, content)
    assert job["status"] == "SUCCEEDED", job
    assert await member_ids(admin, vip) == ["account:d:a2", "u1", "u2", "u3"]


async def test_bad_lines_are_reported_and_good_lines_applied(admin, client_for):
    vip = await create_segment(admin, name="VIP", type="STATIC", technicalName="vip")
    other = await client_for("globex", Role.ADMIN)
    await create_segment(other, name="Theirs 1", type="STATIC")
    # ids are per tenant: acme has no segment 2, globex does
    foreign = await create_segment(other, name="Theirs", type="STATIC", technicalName="theirs")
    assert foreign == "2"
    content = ndjson(
        update(vip, email_hash="good1"),  # 1
        "{not json",  # 2
        {"operation": "MERGE", "segment_id": vip, "email_hash": "x", "expiration_duration": 0},
        update("999", email_hash="x"),  # 4: unknown segment id
        {
            "operation": "UPDATE",
            "segment_technical_name": "nope",
            "email_hash": "x",
            "expiration_duration": 0,
        },  # 5
        {"operation": "UPDATE", "segment_id": vip, "expiration_duration": 0},  # 6: no user
        update(vip, email_hash="x", data_bag="{oops"),  # 7
        update(vip, email_hash="x", expiration_duration=-5),  # 8
        update(vip, email_hash="x", expiration_ts=1_700_000_000_000),  # 9: milliseconds
        update(foreign, email_hash="x"),  # 10: another tenant's segment
        {
            "operation": "UPDATE",
            "segment_technical_name": "theirs",
            "email_hash": "x",
            "expiration_duration": 0,
        },  # 11
        "[1, 2]",  # 12
        "",  # 13: blank lines are skipped
        {"operation": "UPDATE", "segment_id": vip, "email_hash": "x"},  # 14: no duration
        {
            "operation": "UPDATE",
            "segment_id": vip,
            "email_hash": "$where",
            "expiration_duration": 0,
            "x": 1,
        },
        update(vip, email_hash="good2"),  # 16
        update(vip, email_hash="x", data_bag='{"$set": {"tenant": "globex"}}'),  # 17
        update(vip, email_hash="x", data_bag='{"a": {"b.c": 1}}'),  # 18
    )
    job = await run_import(admin, content)
    assert job["status"] == "PARTIAL", job
    assert (job["total"], job["applied"], job["failed"]) == (17, 2, 15)
    codes = {e["line"]: e["code"] for e in job["errors"]}
    assert codes == {
        2: "MALFORMED_JSON",
        3: "BAD_USER_INPUT",
        4: "NOT_FOUND",
        5: "NOT_FOUND",
        6: "BAD_USER_INPUT",
        7: "BAD_USER_INPUT",
        8: "BAD_USER_INPUT",
        9: "BAD_USER_INPUT",
        10: "NOT_FOUND",
        11: "NOT_FOUND",
        12: "MALFORMED_JSON",
        14: "BAD_USER_INPUT",
        15: "BAD_USER_INPUT",
        17: "BAD_USER_INPUT",
        18: "BAD_USER_INPUT",
    }
    messages = {e["line"]: e["message"] for e in job["errors"]}
    assert "operation" in messages[3]
    assert "no user identifier" in messages[6]
    assert "data_bag is not valid JSON" in messages[7]
    assert "expiration_duration" in messages[8]
    assert "milliseconds" in messages[9]
    assert "may not start with '$'" in messages[17] and "'b.c'" in messages[18]
    assert "expiration_duration" in messages[14] and "Field required" in messages[14]
    assert await member_ids(admin, vip) == ["email_hash:good1", "email_hash:good2"]
    assert await member_ids(other, foreign) == []


async def test_csv_user_segment_import(admin):
    vip = await create_segment(admin, name="VIP", type="STATIC")
    content = (
        "operation,segment_id,email_hash,expiration_duration,weight,data_bag\r\n"
        f'UPDATE,{vip},h1,0,0.5,"{{""tier"": ""gold""}}"\r\n'
        f"UPDATE,{vip},h2,,,\r\n"
        f"UPDATE,{vip},h3,10,0.9\r\n"
        f"UPDATE,{vip},h4,abc,,\r\n"
        f"DELETE,{vip},h1,0,,\r\n"
    )
    job = await run_import(admin, content, format_="CSV")
    assert job["status"] == "PARTIAL", job
    assert [(e["line"], e["code"]) for e in job["errors"]] == [
        (3, "BAD_USER_INPUT"),
        (4, "MALFORMED_CSV"),
        (5, "BAD_USER_INPUT"),
    ]
    assert (job["total"], job["applied"], job["failed"]) == (5, 2, 3)
    assert await member_ids(admin, vip) == []  # h1 added, then deleted


@pytest.mark.parametrize(
    ("content", "format_", "code"),
    [
        ("operation,segment,email\nUPDATE,1,x\n", "CSV", "BAD_HEADER"),
        ("operation,operation\n", "CSV", "BAD_HEADER"),
        ("\n\n   \n", "NDJSON", "EMPTY_FILE"),
        ("\n\n", "CSV", "EMPTY_FILE"),
    ],
)
async def test_file_level_problems_fail_the_job(admin, content, format_, code):
    job = await run_import(admin, content, format_=format_)
    assert job["status"] == "FAILED"
    assert job["error"]["code"] == code, job
    assert job["applied"] == 0


async def test_every_line_failing_fails_the_job(admin):
    job = await run_import(admin, ndjson("{}", "nope"))
    assert job["status"] == "FAILED" and job["error"] is None
    assert (job["total"], job["failed"]) == (2, 2)


async def test_errors_are_stored_up_to_a_bound_and_counted_beyond(admin):
    job = await run_import(admin, ndjson(*["{bad"] * 150))
    assert job["failed"] == 150 and len(job["errors"]) == 100
    assert [e["line"] for e in job["errors"]] == list(range(1, 101))


@pytest.mark.parametrize(
    ("input_", "message"),
    [
        ({"content": ""}, "empty"),
        ({}, "exactly one"),
        ({"content": "x", "name": "   "}, "at least 1 character"),
        ({"content": "x", "file": "not-an-upload"}, "exactly one"),
        ({"file": "not-an-upload"}, "multipart"),
    ],
)
async def test_submission_problems_are_user_errors(admin, input_, message):
    variables = {
        "input": {"documentType": "USER_SEGMENT", "format": "NDJSON", "name": "n", **input_}
    }
    body = await admin.data(RUN_IMPORT, variables)
    payload = body["runImport"]
    assert payload["job"] is None
    assert message in payload["userErrors"][0]["message"], payload


async def test_wrong_enum_values_are_refused_before_anything_runs(admin):
    variables = {
        "input": {"documentType": "ORDERS", "format": "NDJSON", "name": "n", "content": "x"}
    }
    body = await admin.post(RUN_IMPORT, variables)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_user_profile_imports_in_ndjson_and_csv(admin):
    await upsert(admin, {"userId": "taken", "email": "taken@example.com"})
    content = ndjson(
        {"userId": "p1", "email": "p1@example.com", "tier": "gold", "points": 10},
        {"userId": "p2", "email": "taken@example.com"},
        {"userId": "p1", "tier": "silver"},  # the same user again: the later line wins
        {"userId": "p3", "points": "many"},
        {"userId": "p4", "badges": ["a", "b"], "customFields": {"plan": "pro"}},
    )
    job = await run_import(admin, content, type_="USER_PROFILE")
    assert job["status"] == "PARTIAL", job
    assert [(e["line"], e["code"]) for e in job["errors"]] == [
        (2, "DUPLICATE"),
        (4, "BAD_USER_INPUT"),
    ]
    user = (await admin.data(USER, {"id": "p1"}))["user"]
    assert user["email"] == "p1@example.com"
    csv = 'userId,tier,points,badges,customFields\np5,gold,12.5,"[""x""]","{""plan"": ""pro""}"\np6,,,[oops,\n'
    job = await run_import(admin, csv, type_="USER_PROFILE", format_="CSV")
    assert job["status"] == "PARTIAL", job
    assert [(e["line"], e["code"]) for e in job["errors"]] == [(3, "BAD_USER_INPUT")]
    assert (await admin.data(USER, {"id": "p5"}))["user"]["id"] == "p5"


async def test_imported_changes_are_in_the_history(admin):
    vip = await create_segment(admin, name="VIP", type="STATIC")
    job = await run_import(
        admin,
        ndjson(
            update(vip, email_hash="h1"),
            update(vip, email_hash="h1"),
            {**update(vip, email_hash="h1"), "operation": "DELETE"},
        ),
    )
    assert job["status"] == "SUCCEEDED"
    body = await admin.data(SEGMENT_HISTORY, {"id": vip, "first": 10})
    events = [e["node"] for e in body["segment"]["history"]["edges"]]
    # the second line changes nothing, so it records nothing
    assert [(e["action"], e["source"]) for e in events] == [
        ("UNLISTED", "IMPORT"),
        ("LISTED", "IMPORT"),
    ]
    assert all("line" in e["description"] for e in events)


async def test_jobs_are_listed_newest_first_and_stay_in_their_tenant(admin, client_for):
    first = await run_import(admin, ndjson("{}"), name="one")
    second = await run_import(admin, ndjson("{}"), name="two")
    body = await admin.data(IMPORT_JOBS, {"first": 1})
    jobs = body["importJobs"]
    assert jobs["totalCount"] == 2 and jobs["pageInfo"]["hasNextPage"]
    assert jobs["edges"][0]["node"]["id"] == second["id"]
    after = jobs["pageInfo"]["endCursor"]
    body = await admin.data(IMPORT_JOBS, {"first": 5, "after": after})
    assert [e["node"]["id"] for e in body["importJobs"]["edges"]] == [first["id"]]
    failed = await admin.data(IMPORT_JOBS, {"status": "FAILED"})
    assert failed["importJobs"]["totalCount"] == 2
    assert (await admin.data(IMPORT_JOBS, {"status": "SUCCEEDED"}))["importJobs"]["totalCount"] == 0

    other = await client_for("globex", Role.ADMIN)
    assert (await other.data(IMPORT_JOBS, {}))["importJobs"]["totalCount"] == 0
    body = await other.post(IMPORT_JOB, {"id": first["id"]})
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    for bad in ("nope", "0" * 24, "'; drop"):
        body = await admin.post(IMPORT_JOB, {"id": bad})
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    body = await admin.post(IMPORT_JOBS, {"after": "garbage"})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_viewers_read_jobs_but_cannot_run_imports(admin, client_for):
    viewer = await client_for("acme", Role.VIEWER)
    body = await viewer.data(
        RUN_IMPORT,
        {
            "input": {
                "documentType": "USER_SEGMENT",
                "format": "NDJSON",
                "name": "n",
                "content": "{}",
            }
        },
    )
    assert body["runImport"]["job"] is None
    assert [e["code"] for e in body["runImport"]["userErrors"]] == ["FORBIDDEN"]
    job = await run_import(admin, ndjson("{}"))
    assert (await viewer.data(IMPORT_JOB, {"id": job["id"]}))["importJob"]["id"] == job["id"]


async def test_editors_import_only_into_segments_they_may_edit(admin, client_for):
    editor, mine, locked = await editor_of_one_segment(admin, client_for)
    job = await run_import(
        editor, ndjson(update(mine, email_hash="h"), update(locked, email_hash="h"))
    )
    assert job["status"] == "PARTIAL"
    assert [(e["line"], e["code"]) for e in job["errors"]] == [(2, "FORBIDDEN")]


async def test_a_full_list_refuses_more_lines(admin, monkeypatch):
    monkeypatch.setattr("seg_graphql.services.membership_writes.MAX_LISTED", 2)
    vip = await create_segment(admin, name="VIP", type="STATIC")
    content = ndjson(
        *(update(vip, email_hash=f"h{i}") for i in range(3)), update(vip, email_hash="h0")
    )
    job = await run_import(admin, content)
    assert [(e["line"], e["code"]) for e in job["errors"]] == [(3, "LIMIT_EXCEEDED")]
    assert job["applied"] == 3


async def test_submitting_returns_the_job_at_once(admin):
    payload = await submit(admin, ndjson("{}"))
    assert payload["job"]["status"] in {"PENDING", "RUNNING", "FAILED"}
    assert payload["job"]["total"] == 0 or payload["job"]["status"] == "FAILED"
    await wait_for(admin, payload["job"]["id"])


def _unix(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso).timestamp()


async def test_huge_values_are_line_errors_and_the_rest_is_applied(admin):
    vip = await create_segment(admin, name="VIP", type="STATIC")
    content = ndjson(
        update(vip, email_hash="x", expiration_duration=10**15),  # 1
        update(vip, email_hash="x", weight=1e308),  # 2
        update(vip, email_hash="x", data_bag=orjson.dumps({"blob": "y" * 20_000}).decode()),
        update("9" * 30, email_hash="x"),  # 4
        update(vip, email_hash="h" * 1_000),  # 5
        update(vip, email_hash="x", expiration_ts=2**62),  # 6
        '{"operation": "UPDATE", "pad": "' + "z" * 100_000 + '"}',  # 7: over 64 KiB
        update(vip, email_hash="good"),  # 8
    )
    job = await run_import(admin, content)
    assert job["status"] == "PARTIAL", job
    assert [(e["line"], e["code"]) for e in job["errors"]] == [
        (1, "BAD_USER_INPUT"),
        (2, "BAD_USER_INPUT"),
        (3, "BAD_USER_INPUT"),
        (4, "BAD_USER_INPUT"),
        (5, "BAD_USER_INPUT"),
        (6, "BAD_USER_INPUT"),
        (7, "UNREADABLE_LINE"),
    ]
    assert await member_ids(admin, vip) == ["email_hash:good"]


async def test_bad_submissions_and_list_arguments(admin):
    too_long = {
        "documentType": "USER_SEGMENT",
        "format": "NDJSON",
        "name": "n" * 201,
        "content": "{}",
    }
    payload = (await admin.data(RUN_IMPORT, {"input": too_long}))["runImport"]
    assert payload["job"] is None and payload["userErrors"][0]["field"] == "input.name"
    missing = {"documentType": "USER_SEGMENT", "format": "NDJSON", "content": "{}"}
    body = await admin.post(RUN_IMPORT, {"input": missing})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    wrong_type = {"documentType": 1, "format": "NDJSON", "name": "n", "content": "{}"}
    body = await admin.post(RUN_IMPORT, {"input": wrong_type})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    body = await admin.post(IMPORT_JOBS, {"first": 1_000})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert (await admin.data(IMPORT_JOBS, {}))["importJobs"]["totalCount"] == 0  # nothing stored
