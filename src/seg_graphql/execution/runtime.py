"""One execution of a plan: the request's values, its collected errors, its pending work.

Error handling follows graphql-core's Executor line by line (`handle_field_error`,
`CollectedErrors`, `settle_in_background`), so errors, their order and null propagation
are the same as on the generic path.
"""

from __future__ import annotations

from asyncio import gather, get_running_loop
from collections.abc import Awaitable, Sequence
from inspect import iscoroutine
from typing import Any

from graphql import GraphQLResolveInfoHelpers, located_error
from graphql.execution.executor import CollectedErrors
from graphql.execution.values import VariableValues
from graphql.pyutils import Path, gather_with_cancel
from strawberry.execution.is_awaitable import optimized_is_awaitable

is_awaitable = optimized_is_awaitable


class Run:
    """The per-request state a plan needs; plans themselves are shared and immutable."""

    __slots__ = (
        "_helpers",
        "background_futures",
        "context",
        "errors",
        "root_value",
        "variables",
    )

    def __init__(self, context: Any, root_value: Any, variables: VariableValues) -> None:
        self.context = context
        self.root_value = root_value
        self.variables = variables
        self.errors = CollectedErrors()
        self.background_futures: set[Any] = set()
        self._helpers: GraphQLResolveInfoHelpers | None = None

    @property
    def async_helpers(self) -> GraphQLResolveInfoHelpers:
        if self._helpers is None:
            self._helpers = GraphQLResolveInfoHelpers(
                gather=lambda values: gather_with_cancel(*values), track=self.track_async_work
            )
        return self._helpers

    def handle_field_error(
        self, raw_error: Exception, nullable: bool, nodes: list[Any], path: Path
    ) -> None:
        error = located_error(raw_error, nodes, path.as_list())
        if not nullable:
            raise error
        self.errors.add(error, path)

    def settle_in_background(self, awaitables: list[Awaitable[Any]]) -> None:
        try:
            get_running_loop()
        except RuntimeError:  # no running event loop
            for awaitable in awaitables:
                if iscoroutine(awaitable):
                    awaitable.close()
            return
        future = gather(*awaitables, return_exceptions=True)
        self.background_futures.add(future)
        future.add_done_callback(self.background_futures.discard)

    def track_async_work(self, values: Sequence[Any]) -> None:
        awaitables = [value for value in values if is_awaitable(value)]
        if awaitables:
            self.settle_in_background(awaitables)
