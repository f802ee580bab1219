"""Runs the embedded store's calls off the event loop, one at a time, on one thread.

mongomock evaluates every query in Python (a scan per call), synchronously. Called on the
event loop, a long import kept the loop busy for minutes: /healthz timed out and SIGTERM
was not even handled. On its own thread the loop stays free between and during calls; the
GIL still lets the loop run every few milliseconds (sys.getswitchinterval()).

Thread safety: mongomock is not thread-safe (its collections are plain dicts that a scan
iterates while a write changes them), so every call goes to ONE thread and runs there
alone, in submission order, exactly as it ran on the loop before. Nothing else touches the
mock: creating a cursor, sort() and limit() only record arguments; evaluation (to_list,
aggregate, writes) happens on the thread. Documents come back as copies, so the loop may
use them while the thread runs the next call.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class MockThread:
    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embedded-store")

    async def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A plain (synchronous) call of the mock, on its thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, functools.partial(function, *args, **kwargs)
        )

    async def complete(
        self, method: Callable[..., Coroutine[Any, Any, T]], *args: Any, **kwargs: Any
    ) -> T:
        """One of mongomock-motor's async methods, on the mock's thread: they call the mock
        synchronously inside a coroutine that never suspends."""
        return await self.call(run_to_end, method, args, kwargs)

    def close(self) -> None:
        self._executor.shutdown(wait=False)


def run_to_end(method: Callable[..., Coroutine[Any, Any, T]], args: Any, kwargs: Any) -> T:
    coroutine = method(*args, **kwargs)
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError(f"the embedded store's {method.__name__} waited for something")
