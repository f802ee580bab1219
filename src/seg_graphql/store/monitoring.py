"""Counts the commands sent to the store, so tests can assert how many round trips a
request costs (batching), on PyMongo through command monitoring and on the embedded store
through its adapter."""

from __future__ import annotations

from collections.abc import Callable

from pymongo import monitoring

# Connection handshakes and session clean-up are the driver's, not the application's.
_DRIVER_COMMANDS = frozenset(
    {
        "hello",
        "ismaster",
        "isMaster",
        "endSessions",
        "saslStart",
        "saslContinue",
        "buildinfo",
        "buildInfo",
    }
)


class CommandCounter(monitoring.CommandListener):
    def __init__(self) -> None:
        self.count = 0
        self.names: list[str] = []
        # (command, seconds, succeeded): set by the app to export command latency
        self.observer: Callable[[str, float, bool], None] | None = None

    def tick(self, name: str) -> None:
        self.count += 1
        self.names.append(name)
        if len(self.names) > 10_000:
            del self.names[:5_000]

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name not in _DRIVER_COMMANDS:
            self.tick(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self._observe(event.command_name, event.duration_micros, True)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._observe(event.command_name, event.duration_micros, False)

    def _observe(self, name: str, micros: int, ok: bool) -> None:
        if self.observer is not None and name not in _DRIVER_COMMANDS:
            self.observer(name, micros / 1e6, ok)
