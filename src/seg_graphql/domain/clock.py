"""The service clock: UTC, to the millisecond, because MongoDB keeps milliseconds; truncating
here makes a write's reply equal a later read."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from seg_graphql.domain.times import to_millisecond

Clock = Callable[[], datetime]


def system_time() -> datetime:
    return datetime.now(UTC)


# Looked up at every call, so tests can move time by replacing it (monkeypatch).
source: Clock = system_time


def utc_now() -> datetime:
    return to_millisecond(source())
