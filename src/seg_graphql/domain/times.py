"""MongoDB keeps UTC datetimes without a zone; the domain speaks aware UTC. One place converts."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import overload


@overload
def naive_utc(moment: datetime) -> datetime: ...
@overload
def naive_utc(moment: None) -> None: ...
def naive_utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def aware_utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def to_millisecond(moment: datetime) -> datetime:
    """MongoDB keeps milliseconds: a value cut to them reads back equal to what was written."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def parse_utc(iso: str) -> datetime:
    """An ISO 8601 text ('Z' accepted) as an aware UTC datetime."""
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(UTC)


def from_unix_ms(milliseconds: int) -> datetime:
    return datetime.fromtimestamp(milliseconds / 1000, UTC)


def from_unix_seconds(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def to_unix_seconds(moment: datetime) -> int:
    """Whole seconds, rounded down (a naive moment is UTC, as stored)."""
    return math.floor(aware_utc(moment).timestamp())


def to_unix_ms(moment: datetime) -> int:
    """Whole milliseconds, rounded down."""
    return math.floor(aware_utc(moment).timestamp() * 1000)
