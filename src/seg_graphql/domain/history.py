"""History events of membership changes, and a user document as a change leaves it.

Shared by the membership API and imports so that both record the same event shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from seg_graphql.domain.membership import EMPTY_SNAPSHOT, Entry
from seg_graphql.domain.models import Principal
from seg_graphql.domain.times import naive_utc


@dataclass(frozen=True)
class HistoryOf:
    """Whose history: one segment's or one user's."""

    segment_id: int | None = None
    user_id: str | None = None


class EventAction(StrEnum):
    OVERRIDE_SET = "OVERRIDE_SET"
    OVERRIDE_RESET = "OVERRIDE_RESET"
    LISTED = "LISTED"
    UNLISTED = "UNLISTED"
    EXPIRED = "EXPIRED"


class EventSource(StrEnum):
    API = "API"
    IMPORT = "IMPORT"
    EXPIRY = "EXPIRY"


def event_document(
    principal: Principal | None,
    segment_id: int,
    user_id: str,
    now: datetime,
    action: EventAction,
    old: Entry | None,
    new: Entry | None,
    source: EventSource,
    *,
    reference_id: str | None = None,
    description: str | None = None,
    status_at: datetime | None = None,
) -> dict[str, Any]:
    return {
        "segmentId": segment_id,
        "userId": user_id,
        "at": naive_utc(now),
        "action": action,
        "before": old.snapshot(now) if old else dict(EMPTY_SNAPSHOT),
        "after": new.snapshot(now) if new else dict(EMPTY_SNAPSHOT),
        "source": source,
        "actorKeyId": principal.key_id if principal else None,
        "actorUserId": principal.user_id if principal else None,
        "referenceId": reference_id,
        "description": description,
        "statusAt": naive_utc(status_at) if status_at else None,
    }


def with_entry(
    doc: Mapping[str, Any], segment_id: int, fields: Mapping[str, Any]
) -> dict[str, Any]:
    """`doc` with fields of its m.s<segment_id> entry replaced, as the update will store it."""
    entries = dict(doc.get("m") or {})
    entries[f"s{segment_id}"] = {**(entries.get(f"s{segment_id}") or {}), **fields}
    segs = list(doc.get("segs") or [])
    if segment_id not in segs:
        segs.append(segment_id)
    return {**doc, "m": entries, "segs": segs}
