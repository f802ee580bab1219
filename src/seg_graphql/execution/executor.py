"""The front door: `execute` like `strawberry.Schema.execute`, compiled when it can be.

A document is planned after its first generic execution got as far as producing data: it
then parsed and validated under the schema's own rules and extensions (tokens, limits,
introspection switch), and validation depends on the document alone, so every later request
with the same text and operation name skips parsing, validation and the per-field machinery.
Everything else — mutations, documents never seen, unsupported features, variables that do
not coerce — takes `schema.execute`, the path that has always served them.
"""

from __future__ import annotations

import logging
from collections import Counter, OrderedDict
from collections.abc import Iterable
from typing import Any

from graphql import GraphQLError, parse
from graphql.execution.values import get_variable_values
from graphql.pyutils import Undefined
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext, _coerce_error
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from seg_graphql.execution.completion import execute_fields
from seg_graphql.execution.plan import OperationPlan, Unsupported, plan_operation
from seg_graphql.execution.runtime import Run, is_awaitable

log = logging.getLogger("seg_graphql.execution")

# Extensions that act only before execution (parse, validate); a cached, validated document
# owes them nothing. MaskErrors acts on results, so a schema using it is not compiled.
_PRE_EXECUTION = (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
_MAX_COERCION_ERRORS = 50  # graphql-core's default, which Strawberry keeps


class CompiledExecution:
    def __init__(self, schema: Any, *, enabled: bool = True, cache_size: int = 512) -> None:
        self.schema = schema
        self.cache_size = cache_size
        # Extensions that check a request before it executes and offer that check as
        # `request_check` (the query cost priced with the request's variables): a plan runs
        # them too, and a refused request takes the generic path, which reports it.
        self._request_checks = [
            check
            for extension in schema.get_extensions()
            if (check := getattr(extension, "request_check", None)) is not None
        ]
        reason = _why_not(schema) if enabled else "turned off (SEG_COMPILED_EXECUTION=false)"
        if reason and enabled:
            log.warning("compiled execution is off: %s", reason)
        self.enabled = reason is None
        self._plans: OrderedDict[tuple[str, str | None], OperationPlan | Unsupported] = (
            OrderedDict()
        )
        # How requests were served: "compiled", or why not (for diagnosis and the tests).
        self.stats: Counter[str] = Counter()

    async def execute(
        self,
        query: str,
        *,
        variable_values: dict[str, Any] | None = None,
        context_value: Any = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        root_value: Any = None,
    ) -> ExecutionResult:
        plan = self.plan_for(query, operation_name)
        result = None
        if isinstance(plan, OperationPlan):
            result = await self.execute_plan(
                plan,
                variable_values=variable_values,
                context_value=context_value,
                allowed_operation_types=allowed_operation_types,
                root_value=root_value,
            )
        if result is not None:
            self.stats["compiled"] += 1
            return result
        self.stats[self._fallback_reason(plan)] += 1
        result = await self.schema.execute(
            query,
            variable_values=variable_values,
            context_value=context_value,
            root_value=root_value,
            operation_name=operation_name,
            allowed_operation_types=allowed_operation_types,
        )
        if plan is None and self.enabled and result.data is not None:
            self._learn(query, operation_name)
        return result

    def plan_for(
        self, query: str, operation_name: str | None
    ) -> OperationPlan | Unsupported | None:
        """The cached plan (or the reason there is none); None for a document not yet seen."""
        if not self.enabled:
            return None
        key = (query, operation_name)
        plan = self._plans.get(key)
        if plan is not None:
            self._plans.move_to_end(key)
        return plan

    async def execute_plan(
        self,
        plan: OperationPlan,
        *,
        variable_values: dict[str, Any] | None = None,
        context_value: Any = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        root_value: Any = None,
    ) -> ExecutionResult | None:
        """Runs a plan; None when this request needs the generic path after all (variables
        that do not coerce, or a @skip/@include combination the plan cannot cover)."""
        if allowed_operation_types is not None and (
            OperationType.QUERY not in allowed_operation_types
        ):
            raise InvalidOperationTypeError(OperationType.QUERY)
        variables = get_variable_values(
            self.schema._schema,
            plan.operation.variable_definitions or (),
            variable_values or {},
            max_errors=_MAX_COERCION_ERRORS,
        )
        if isinstance(variables, list):
            return None  # the generic path reports these errors itself
        if not self._passes_checks(plan, variable_values):
            return None  # refused: the generic path reports it
        try:
            fields = plan.root_fields(variables)
        except GraphQLError:
            return None  # a @skip/@include argument that does not coerce
        if isinstance(fields, Unsupported):
            return None
        run = Run(context_value, root_value, variables)
        try:
            data = await _run(run, fields)
        except Exception as exc:
            errors = [_coerce_error(exc)]
            self.schema._process_errors(errors, None)
            return ExecutionResult(data=None, errors=errors)
        errors = run.errors.errors
        if errors:
            self.schema._process_errors(errors, None)
        return ExecutionResult(data=data, errors=errors or None)

    def _passes_checks(self, plan: OperationPlan, variable_values: dict[str, Any] | None) -> bool:
        name = plan.operation.name.value if plan.operation.name else None
        return plan.parsed is not None and all(
            check(plan.parsed, name, variable_values or {}) is None
            for check in self._request_checks
        )

    def _learn(self, query: str, operation_name: str | None) -> None:
        try:
            document = parse(query)
            plan: OperationPlan | Unsupported = plan_operation(
                self.schema, document, operation_name
            )
        except Unsupported as reason:
            plan = reason
        except (GraphQLError, RecursionError) as error:
            plan = Unsupported(f"cannot plan: {error}")
        self._plans[(query, operation_name)] = plan
        while len(self._plans) > self.cache_size:
            self._plans.popitem(last=False)

    def _fallback_reason(self, plan: OperationPlan | Unsupported | None) -> str:
        if not self.enabled:
            return "fallback: off"
        if plan is None:
            return "fallback: first sight"
        if isinstance(plan, Unsupported):
            return f"fallback: {plan}"
        return "fallback: variables or directives"


async def _run(run: Run, fields: list[Any]) -> dict[str, Any] | None:
    """graphql-core's `execute_operation` for a query: errors at the root null the data."""
    try:
        result = execute_fields(run, fields, run.root_value, None)
        if is_awaitable(result):
            result = await result
    except GraphQLError as error:
        run.errors.add(error, None)
        return None
    return result if result is not Undefined else None


def _why_not(schema: Any) -> str | None:
    """Why this schema's requests cannot skip Strawberry's per-request machinery, if so."""
    if schema.execution_context_class not in (None, StrawberryGraphQLCoreExecutionContext):
        return "a custom execution context class"
    if schema.directives:
        return "custom directives"
    if schema.config.enable_experimental_incremental_execution:
        return "incremental execution"
    for extension in schema.get_extensions():
        if getattr(extension, "request_check", None) is not None and not (
            extension._implements_resolve()
        ):
            continue
        if isinstance(extension, MaskErrors) or not isinstance(extension, _PRE_EXECUTION):
            return f"the {type(extension).__name__} extension"
        if extension._implements_resolve():
            return f"the {type(extension).__name__} extension resolves fields"
    return None
