"""Runs every operation of ../operations through the client ariadne-codegen generated, against
a live `seg-graphql serve` (SEG_GRAPHQL_URL, SEG_API_KEY). Run from this folder, in the
ariadne-codegen virtualenv: `.venv/bin/python -m pytest -q test_client.py`."""

from __future__ import annotations

import json
import os
import re
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

# The client generated from schema.graphql (generated/), or from the URL (generated_from_url/).
sys.path.insert(0, str(Path(__file__).parent / os.environ.get("SEG_CLIENT_DIR", "generated")))

from seg_client import (  # generated at CI time, see pyproject.toml
    Client,
    CreateSegmentInput,
    CriterionInput,
    EditableBy,
    ErrorCode,
    ImportDocumentType,
    ImportFormat,
    ImportStatus,
    MembershipEventAction,
    MembershipEventSource,
    MembershipSource,
    MembershipState,
    Operator,
    RulesInput,
    RunImportInput,
    SegmentFilter,
    SegmentType,
    SetUserStatusInput,
    StatusMetadataInput,
    UserInput,
    UserStatus,
)

RUN = uuid.uuid4().hex[:8]  # each run names its data afresh: runs may share one server


def segment_input(name: str, **fields: object) -> CreateSegmentInput:
    """Every field with a schema default is given explicitly: ariadne-codegen drops input
    defaults when it generates from introspection, so both clients need them."""
    defaults = {"type": SegmentType.DYNAMIC, "isDefault": False, "editableBy": EditableBy.ADMIN}
    return CreateSegmentInput(name=name, **{**defaults, **fields})


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    url = os.environ.get("SEG_GRAPHQL_URL", "http://127.0.0.1:8000/graphql")
    client = Client(url=url, headers={"Authorization": f"Bearer {os.environ['SEG_API_KEY']}"})
    yield client
    client.http_client.close()


@pytest.fixture(scope="module")
def users(client: Client) -> list[str]:
    result = client.upsert_users(
        users=[
            UserInput(
                userId=f"gold-{RUN}",
                email=f"gold-{RUN}@example.com",
                tier="gold",
                points=1500,
                customFields={"run": RUN},
            ),
            UserInput(
                userId=f"silver-{RUN}",
                email=f"silver-{RUN}@example.com",
                tier="silver",
                points=200,
                customFields={"run": RUN},
            ),
        ]
    ).upsert_users
    assert result is not None and result.user_errors == []
    assert all(isinstance(u.created_at, datetime) for u in result.users if u)
    return [u.id for u in result.users if u]


@pytest.fixture(scope="module")
def vips(client: Client, users: list[str]) -> str:
    payload = client.create_segment(
        input=segment_input(
            f"Engaged VIPs {RUN}",
            technicalName=f"vips_{RUN}",
            rules=RulesInput(
                include=[
                    CriterionInput(field="tier", operator=Operator.IN, value=["gold", "platinum"]),
                    CriterionInput(field="points", operator=Operator.GTE, value=1000),
                    CriterionInput(field="customFields.run", operator=Operator.EQUALS, value=RUN),
                ],
                exclude=[],
            ),
        )
    ).create_segment
    assert payload is not None and payload.user_errors == []
    assert payload.segment is not None and payload.segment.type_ is SegmentType.DYNAMIC
    assert payload.segment.created_at.tzinfo is not None
    return payload.segment.id


def test_a_taken_technical_name_is_a_user_error(client: Client, vips: str) -> None:
    payload = client.create_segment(
        input=segment_input("again", technicalName=f"vips_{RUN}", matchAll=True)
    ).create_segment
    assert payload is not None and payload.segment is None
    assert [(e.code, e.field) for e in payload.user_errors] == [
        (ErrorCode.DUPLICATE, "input.technicalName")
    ]


def test_segments_list_user_count_and_members(client: Client, vips: str) -> None:
    page = client.list_segments(
        first=10, filter_=SegmentFilter(name=f"Engaged VIPs {RUN}")
    ).segments
    assert page.total_count == 1 and not page.page_info.has_next_page
    (segment,) = page.nodes
    assert (segment.id, segment.user_count) == (vips, 1)
    assert [(m.id, m.email) for m in segment.members.nodes] == [
        (f"gold-{RUN}", f"gold-{RUN}@example.com")
    ]


def test_set_user_status_then_the_membership_check_and_history(client: Client, vips: str) -> None:
    now = int(time.time())
    change = SetUserStatusInput(
        user=f"silver-{RUN}@example.com",
        segmentId=vips,
        userStatus=UserStatus.ADD,
        metadata=StatusMetadataInput(referenceId=f"ref-{RUN}", statusChangeTimestamp=now - 60),
    )
    added = client.set_user_status(input=change).set_user_status
    assert added is not None and added.user_errors == [] and added.applied
    assert added.membership is not None
    assert added.membership.source is MembershipSource.OVERRIDE
    assert added.membership.status_change_timestamp == now - 60

    stale = change.model_copy(
        update={
            "user_status": UserStatus.BLOCK,
            "metadata": StatusMetadataInput(statusChangeTimestamp=now - 3600),
        }
    )
    ignored = client.set_user_status(input=stale).set_user_status
    assert ignored is not None and not ignored.applied

    check = client.check_membership(user=f"silver-{RUN}", segment_ids=[vips]).membership
    assert [(m.segment.id, m.is_member, m.state) for m in check.memberships] == [
        (vips, True, MembershipState.ADDED)
    ]

    segment = client.segment_history(id=vips, first=10).segment
    assert segment is not None
    assert [(e.action, e.source, e.reference_id) for e in segment.history.nodes] == [
        (MembershipEventAction.OVERRIDE_SET, MembershipEventSource.API, f"ref-{RUN}")
    ]


def test_run_import_and_follow_its_progress(client: Client) -> None:
    created = client.create_segment(
        input=segment_input(f"Imported {RUN}", type=SegmentType.STATIC)
    ).create_segment
    assert created is not None and created.segment is not None
    segment = created.segment.id
    good = [
        {
            "operation": "UPDATE",
            "user_agent_id": f"ua-{n}-{RUN}",
            "segment_id": segment,
            "expiration_duration": 0,
        }
        for n in range(3)
    ]
    no_user = {"operation": "UPDATE", "segment_id": segment, "expiration_duration": 0}
    lines = [json.dumps(line) for line in [*good, no_user]]
    submitted = client.run_import(
        input=RunImportInput(
            documentType=ImportDocumentType.USER_SEGMENT,
            format=ImportFormat.NDJSON,
            name=f"import {RUN}",
            content="\n".join(lines),
        )
    ).run_import
    assert submitted.user_errors == [] and submitted.job is not None
    assert re.fullmatch(r"[0-9a-f]{24}", submitted.job.id)

    deadline = time.monotonic() + 20
    while True:
        job = client.import_job_progress(id=submitted.job.id).import_job
        assert job is not None
        if job.status in (ImportStatus.SUCCEEDED, ImportStatus.PARTIAL, ImportStatus.FAILED):
            break
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
    assert job.status is ImportStatus.PARTIAL
    assert (job.total, job.applied, job.failed, job.progress) == (4, 3, 1, 1.0)
    assert [(e.line, e.code.value) for e in job.errors] == [(4, "BAD_USER_INPUT")]
    assert job.finished_at is not None and job.finished_at <= datetime.now(UTC)

    page = client.list_segments(first=10, filter_=SegmentFilter(name=f"Imported {RUN}")).segments
    assert [s.user_count for s in page.nodes] == [3]
