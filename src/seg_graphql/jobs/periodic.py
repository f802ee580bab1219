"""A background cycle that runs every interval and stops between cycles, never in one.

Stopping waits for the running cycle to finish (up to a bound) instead of cancelling it:
cancelling a driver call mid-flight can leave a write half-done on the server and, on
FerretDB, left the next test's drop waiting on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from seg_graphql.store.errors import outage_code

log = logging.getLogger(__name__)


class Periodic:
    def __init__(
        self,
        name: str,
        cycle: Callable[[], Awaitable[object]],
        *,
        interval_seconds: float,
        stop_timeout_seconds: float = 30.0,
    ) -> None:
        self.name = name
        self._cycle = cycle
        self._interval = interval_seconds
        self._stop_timeout = stop_timeout_seconds
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self.on_success: Callable[[str], None] | None = None  # told after each good cycle

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def wake(self) -> None:
        """Starts the next cycle now instead of at the end of the interval."""
        self._wake.set()

    async def run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                await self._cycle()
            except Exception as exc:
                if outage_code(exc) is not None:  # an outage is not a bug: no trace
                    log.warning("%s: store unavailable (%s); retrying", self.name, exc)
                else:
                    log.exception("%s failed; retrying at the next interval", self.name)
            else:
                if self.on_success is not None:
                    self.on_success(self.name)
            await self._pause()

    async def _pause(self) -> None:
        waits = [asyncio.ensure_future(e.wait()) for e in (self._stop, self._wake)]
        try:
            await asyncio.wait(waits, timeout=self._interval, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Periodic]:
        task = asyncio.create_task(self.run(), name=self.name)
        try:
            yield self
        finally:
            self._stop.set()
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout=self._stop_timeout)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
