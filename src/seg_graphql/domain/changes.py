"""Boundary validation of membership changes: status changes (Village) and list entries."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from seg_graphql.domain.json_values import check_json_shape
from seg_graphql.domain.membership import UserStatus
from seg_graphql.domain.times import from_unix_seconds, to_unix_ms, to_unix_seconds

MAX_DATA_BAG_BYTES = 16 * 1024
FUTURE_SKEW = timedelta(minutes=5)  # clocks differ; a timestamp further ahead is a mistake
MAX_EXPIRATION_MINUTES = 10 * 366 * 24 * 60  # ten years
_MILLISECONDS_LOOK = 100_000_000_000  # year 5138 in seconds, 1973 in milliseconds

UserRef = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254)]
SegmentRef = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]


class StatusMetadata(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    reference_id: Annotated[str, StringConstraints(max_length=128)] | None = Field(
        default=None, alias="referenceId"
    )
    status_change_timestamp: int | None = Field(default=None, alias="statusChangeTimestamp", gt=0)
    description: Annotated[str, StringConstraints(max_length=1_000)] | None = None


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    user: UserRef
    segment_id: SegmentRef = Field(alias="segmentId")
    user_status: UserStatus = Field(alias="userStatus")
    metadata: StatusMetadata = Field(default_factory=StatusMetadata)

    def timestamp_ms(self, now: datetime) -> int:
        """Unix milliseconds of the change: the client's seconds, or the time received (to the
        millisecond, so a BLOCK then a RESET sent a moment later apply in that order)."""
        given = self.metadata.status_change_timestamp
        return given * 1000 if given is not None else to_unix_ms(now)


class ListEntry(BaseModel):
    """A user put on a segment's list, with the mediarithmics import's expiry and data."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    user: UserRef
    expiration_duration: int = Field(
        default=0, alias="expirationDuration", ge=0, le=MAX_EXPIRATION_MINUTES
    )
    expiration_ts: int | None = Field(default=None, alias="expirationTs", ge=0)
    weight: float = Field(default=1.0, ge=0.0, le=1.0)
    data_bag: Any = Field(default=None, alias="dataBag")

    @field_validator("data_bag")
    @classmethod
    def _bounded(cls, value: Any) -> Any:
        check_json_shape(value)
        if value is not None and len(orjson.dumps(value)) > MAX_DATA_BAG_BYTES:
            raise ValueError(f"dataBag is limited to {MAX_DATA_BAG_BYTES} bytes of JSON")
        check_data_bag_keys(value, "dataBag")
        return value

    def expires_at(self, now: datetime) -> datetime | None:
        return expiry_of(self.expiration_ts, self.expiration_duration, now)


def check_data_bag_keys(value: Any, name: str, depth: int = 0) -> None:
    """Keys a document database reads as operators or paths ('$x', 'a.b') are refused: stored
    inside a user document they would be rejected by the server, or worse, interpreted."""
    if depth > 20:
        raise ValueError(f"{name} is nested more than 20 levels deep")
    if isinstance(value, dict):
        for key, item in value.items():
            if key.startswith("$") or "." in key or "\x00" in key:
                raise ValueError(f"{name} keys may not start with '$' or contain '.': '{key[:40]}'")
            check_data_bag_keys(item, name, depth + 1)
    elif isinstance(value, list):
        for item in value:
            check_data_bag_keys(item, name, depth + 1)


def expiry_of(expiration_ts: int | None, duration_minutes: int, now: datetime) -> datetime | None:
    """The expiration timestamp wins whenever it is given, 0 (never) included; else the
    duration in minutes, where 0 means never too."""
    if expiration_ts is not None:
        return from_unix_seconds(expiration_ts) if expiration_ts else None
    if duration_minutes:
        return now + timedelta(minutes=duration_minutes)
    return None


def check_timestamp(change: StatusChange, now: datetime) -> str | None:
    """A problem with the change's timestamp, if any."""
    given = change.metadata.status_change_timestamp
    if given is not None and given > _MILLISECONDS_LOOK:
        return "statusChangeTimestamp looks like milliseconds; send Unix seconds"
    if given is not None and given > to_unix_seconds(now + FUTURE_SKEW):
        return (
            f"statusChangeTimestamp {given} is in the future "
            f"(more than {int(FUTURE_SKEW.total_seconds())} seconds ahead)"
        )
    return None


def check_expiry(entry: ListEntry, now: datetime) -> str | None:
    return check_expiration_ts(entry.expiration_ts, now, "expirationTs")


def check_expiration_ts(value: int | None, now: datetime, name: str) -> str | None:
    if not value:
        return None
    if value > _MILLISECONDS_LOOK:
        return f"{name} looks like milliseconds; send Unix seconds"
    if value <= to_unix_seconds(now):
        return f"{name} {value} is in the past"
    if value > to_unix_seconds(now) + MAX_EXPIRATION_MINUTES * 60:
        return f"{name} is more than ten years ahead"
    return None
