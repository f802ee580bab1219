"""Differential execution: every query the API tests send runs through both paths.

Each request the endpoint executes is served as usual (compiled when a plan exists, else
Strawberry's generic execution, which then plans the document); when the other path can
serve it too, it runs again through that path on the same database state, with fresh
DataLoaders and the service clock frozen for both, and the two responses must be equal
byte for byte (data and formatted errors) and, on the embedded store, cost the same number
of database commands.
Mutations run once: their side effects make a second run meaningless.

What the second run cost is taken off the command counter, so tests that count round trips
see the request they sent. A difference caused by state that moved between the two runs (a
background import worker, a cache the first run filled) would not repeat: the pair is run
again (up to three times) and only a difference that persists is reported. Fields that fail
concurrently report errors in the order the store answers (a real server's network, or the
embedded store's thread), and which sibling errors are collected before a null reaches the
root is timing too, on the generic path alone: a difference in the errors only (same data)
is accepted when the generic path is seen to vary its errors itself.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from graphql import OperationType, get_operation_ast, parse

from seg_graphql.domain import clock
from seg_graphql.execution import CompiledExecution
from seg_graphql.execution.plan import OperationPlan
from seg_graphql.graphql.errors import format_error

_original_execute = CompiledExecution.execute

Answer = tuple[bytes, int]  # a response's bytes and, where counted, its database commands


async def paths_meet(
    answers: Callable[[], Awaitable[tuple[Answer, Answer]]],
    seen: tuple[set[Answer], set[Answer]] | None = None,
    tries: int = 8,
) -> bool:
    """The store answers over the network or from the embedded store's thread, so timing
    decides the order in which concurrent fields fail, which sibling errors are collected
    before a null reaches the root, and how a DataLoader's keys split into batches:
    graphql-core's own answer varies. A difference is accepted when, run again on the same
    state, both paths give one same answer: `answers` runs the generic path, then the
    compiled one; `seen` holds the answers already had."""
    generic_seen, compiled_seen = seen or (set(), set())
    for _ in range(tries):
        generic, compiled = await answers()
        generic_seen.add(generic)
        compiled_seen.add(compiled)
        if generic_seen & compiled_seen:
            return True
    return False


class Differential:
    def __init__(self) -> None:
        self.served: Counter[str] = Counter()  # how the suite's requests were served
        self.compared = 0
        self.repeated = 0
        self.reordered = 0
        self.mismatches: list[str] = []
        self._in_flight = 0
        self._overlapped = False
        self._embedded = True
        self._saved_clock: Any = None

    async def execute(self, execution: CompiledExecution, query: str, **kwargs: Any) -> Any:
        if not _is_query(execution, query, kwargs.get("operation_name")):
            before = Counter(execution.stats)
            result = await _original_execute(execution, query, **kwargs)
            self.served.update(Counter(execution.stats) - before)
            return result
        self._enter()
        try:
            return await self._both(execution, query, kwargs)
        finally:
            self._leave()

    async def _both(self, execution: CompiledExecution, query: str, kwargs: dict) -> Any:
        store = kwargs["context_value"].store
        counter = store.counter
        # Commands are counted per request only where nothing else runs meanwhile: on the
        # embedded store (synchronous) and with no other request in flight. Against a real
        # server, background workers' commands land in whichever request is awaiting I/O.
        self._embedded = store.embedded
        before = Counter(execution.stats)
        start = counter.count
        result = await _original_execute(execution, query, **kwargs)
        served = Counter(execution.stats) - before
        self.served.update(served)
        first_cost = counter.count - start
        after_first, names = counter.count, list(counter.names)
        plan = execution.plan_for(query, kwargs.get("operation_name"))
        if not isinstance(plan, OperationPlan):
            return result
        compiled_first = served["compiled"] == 1
        second = await self._other(execution, plan, query, kwargs, compiled_first)
        if second is None:
            return result
        request_id = kwargs["context_value"].request_id
        self.compared += 1
        pair = ((result, first_cost), second)
        if self._agree(*pair, request_id):
            self._restore(counter, after_first, names)
            return result
        # Once more, both ways, on the state as it is now (up to three times).
        for _ in range(3):
            again = await self._other(execution, plan, query, kwargs, not compiled_first)
            other = await self._other(execution, plan, query, kwargs, compiled_first)
            if again and other and self._agree(again, other, request_id):
                self._restore(counter, after_first, names)
                self.repeated += 1
                return result
        if again and other and await self._paths_meet(execution, plan, query, kwargs, request_id):
            self._restore(counter, after_first, names)
            self.reordered += 1
            return result
        self._restore(counter, after_first, names)
        labels = ("compiled", "generic") if compiled_first else ("generic", "compiled")
        self.mismatches.append(
            f"{query!r} variables={kwargs.get('variable_values')!r}\n"
            + "".join(
                f"  {label} ({cost} commands): {_bytes(answer, request_id)!r}\n"
                for label, (answer, cost) in zip(labels * 2, (*pair, again, other), strict=True)
            )
        )
        return result

    def _agree(self, first: tuple[Any, int], second: tuple[Any, int], request_id: str) -> bool:
        return _bytes(first[0], request_id) == _bytes(second[0], request_id) and (
            not self._embedded or self._overlapped or first[1] == second[1]
        )

    async def _paths_meet(
        self,
        execution: CompiledExecution,
        plan: OperationPlan,
        query: str,
        kwargs: dict,
        request_id: str,
    ) -> bool:
        counted = self._embedded and not self._overlapped

        async def answers() -> tuple[Answer, Answer]:
            both = []
            for generic in (True, False):
                ran = await self._other(execution, plan, query, kwargs, generic)
                assert ran is not None
                both.append((_bytes(ran[0], request_id), ran[1] if counted else 0))
            return both[0], both[1]

        return await paths_meet(answers)

    async def _other(
        self,
        execution: CompiledExecution,
        plan: OperationPlan,
        query: str,
        kwargs: dict,
        generic: bool,
    ) -> tuple[Any, int] | None:
        context = dataclasses.replace(kwargs["context_value"], extra={})  # fresh loaders
        counter = context.store.counter
        start = counter.count
        if generic:
            result = await execution.schema.execute(
                query,
                variable_values=kwargs.get("variable_values"),
                context_value=context,
                operation_name=kwargs.get("operation_name"),
                allowed_operation_types=kwargs.get("allowed_operation_types"),
            )
        else:
            result = await execution.execute_plan(
                plan,
                variable_values=kwargs.get("variable_values"),
                context_value=context,
                allowed_operation_types=kwargs.get("allowed_operation_types"),
            )
            if result is None:
                return None  # this request is the generic path's anyway
        return result, counter.count - start

    def _restore(self, counter: Any, count: int, names: list[str]) -> None:
        if not self._overlapped:  # with requests in parallel, their commands interleave
            counter.count = count
            counter.names[:] = names

    def _enter(self) -> None:
        if self._in_flight == 0:
            self._overlapped = False
            self._saved_clock = clock.source
            frozen = self._saved_clock()
            clock.source = lambda: frozen
        else:
            self._overlapped = True
        self._in_flight += 1

    def _leave(self) -> None:
        self._in_flight -= 1
        if self._in_flight == 0:
            clock.source = self._saved_clock

    def summary(self) -> list[str]:
        total = sum(self.served.values())
        if not total:
            return []
        compiled = self.served["compiled"]
        lines = [
            f"{total} executions: {compiled} compiled ({compiled / total:.0%}), "
            f"{total - compiled} generic; {self.compared} compared both ways, "
            f"{self.repeated} re-run after state moved, {self.reordered} met on a re-run (timing"
            f" decides the answer), {len(self.mismatches)} different"
        ]
        lines += [f"  {count:5d}  {reason}" for reason, count in self.served.most_common()]
        return lines


def _is_query(execution: CompiledExecution, query: str, operation_name: str | None) -> bool:
    plan = execution.plan_for(query, operation_name)
    if plan is not None:
        return isinstance(plan, OperationPlan)
    try:
        operation = get_operation_ast(parse(query), operation_name)
    except Exception:
        return False
    return operation is not None and operation.operation is OperationType.QUERY


def _bytes(result: Any, request_id: str) -> bytes:
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [format_error(e, request_id) for e in result.errors]
    return orjson.dumps(payload)


DIFFERENTIAL = Differential()
