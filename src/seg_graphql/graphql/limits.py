"""Query limits as one validation rule, so ValidationCache caches their verdict per document.

Strawberry's QueryDepthLimiter and MaxAliasesLimiter build new rule classes per request,
which changes ValidationCache's key and defeats it (measured 2,100 -> 930 executions/s).
`QueryLimiter.rule` is one class per schema; the same class object is passed every request.
Tokens are bounded by the parser itself (`max_tokens`), before any of this runs.

Cost depends on page sizes, and generated clients pass them as variables. The walk of a
document (cached per document, like the validation verdict) yields a cost *plan*: a constant
plus terms "variable page size x cost of what that page selects". A plan with no variable
term is checked during validation; one with variables is priced per request with the
variables' values (`QueryLimiter.extension`), which only evaluates the cached plan.

Introspection (`__schema`, `__type`) has its own rule, as graphql-js's
MaxIntrospectionDepthRule: the standard introspection queries are ~15 levels deep, which the
query depth limit would refuse, but their cost lies in list fields nested in list fields
(`fields { type { fields { ...`), which are bounded instead.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    VariableNode,
)
from strawberry.extensions import SchemaExtension

from seg_graphql.graphql.pagination import DEFAULT_FIRST, MAX_FIRST


@dataclass(frozen=True)
class QueryLimits:
    # Anchored on graphql-armor's defaults (aliases 15, tokens 1000, cost 5000, directives 50);
    # depth allows armor's 6 plus the two levels each Relay connection adds (edges, node).
    max_depth: int = 10
    max_aliases: int = 15
    max_tokens: int = 1_000
    max_cost: int = 5_000
    max_directives: int = 50
    # graphql-js's full introspection query nests 9 `ofType` under `types { fields { type`
    max_introspection_depth: int = 20
    # graphql-js's MaxIntrospectionDepthRule refuses a third nested list field
    max_introspection_nesting: int = 2


LIMIT_CODE = "QUERY_LIMIT_EXCEEDED"
OPERATION_CODE = "OPERATION_RESOLUTION_FAILURE"
_PLAN_CACHE_SIZE = 512
_INTROSPECTION_ROOTS = frozenset({"__schema", "__type"})
# Introspection fields that return lists of types or fields: nesting these is what explodes.
_INTROSPECTION_LISTS = frozenset({"fields", "inputFields", "interfaces", "possibleTypes"})
_PAGE_ARGUMENTS = frozenset({"first", "size"})
# Page size of fields that return a page when no size is given (their schema defaults).
_DEFAULT_PAGE = {
    "segments": DEFAULT_FIRST,
    "members": DEFAULT_FIRST,
    "users": DEFAULT_FIRST,
    "history": DEFAULT_FIRST,
    "importJobs": DEFAULT_FIRST,
    "segmentCounts": DEFAULT_FIRST,
    "errors": MAX_FIRST,
}


# ------------------------------------------------------------------ cost plans


@dataclass(frozen=True)
class PageVariable:
    """A page size given by a variable: its value per request, else its declared default,
    else the field's own default."""

    name: str
    declared: int | None
    fallback: int

    def size(self, variables: Mapping[str, Any]) -> int:
        value = variables.get(self.name, self.declared)
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # Int coercion accepts 10.0
        if isinstance(value, int) and not isinstance(value, bool):
            return max(1, min(value, MAX_FIRST))
        return self.fallback  # null or absent: the field's default; anything else fails coercion


@dataclass(frozen=True)
class Cost:
    """fixed + sum(factor * page(variables) * cost(variables)) over the terms."""

    fixed: int = 0
    terms: tuple[tuple[int, PageVariable, Cost], ...] = ()

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.fixed + other.fixed, self.terms + other.terms)

    def times(self, factor: int) -> Cost:
        return Cost(self.fixed * factor, tuple((f * factor, v, c) for f, v, c in self.terms))

    def total(self, variables: Mapping[str, Any]) -> int:
        return self.fixed + sum(
            factor * page.size(variables) * cost.total(variables)
            for factor, page, cost in self.terms
        )


@dataclass(frozen=True)
class OperationPlan:
    name: str
    cost: Cost
    node: OperationDefinitionNode


# ------------------------------------------------------------------ the walk


@dataclass
class _Tally:
    aliases: int = 0
    directives: int = 0
    introspection_depth: int = 0
    introspection_nesting: int = 0

    def absorb(self, other: _Tally) -> None:
        self.aliases += other.aliases
        self.directives += other.directives
        self.introspection_depth = max(self.introspection_depth, other.introspection_depth)
        self.introspection_nesting = max(self.introspection_nesting, other.introspection_nesting)


@dataclass
class _Measure:
    depth: int
    cost: Cost
    tally: _Tally = field(default_factory=_Tally)


class _Walker:
    """Measures one operation. `nesting` is None outside introspection, else the number of
    introspection list fields above the selection set."""

    def __init__(
        self,
        fragments: dict[str, FragmentDefinitionNode],
        declared: dict[str, int | None],
    ) -> None:
        self.fragments = fragments
        self.declared = declared
        # Memoised per fragment: a document that spreads fragments into fragments must not
        # make this walk exponential (each fragment is measured once, counted per use).
        self.memo: dict[tuple[str, int | None], _Measure] = {}

    def measure(
        self,
        selection_set: SelectionSetNode | None,
        tally: _Tally,
        visiting: frozenset[str],
        nesting: int | None,
    ) -> tuple[int, Cost]:
        if selection_set is None:
            return 0, Cost()
        depth, cost = 0, Cost()
        for selection in selection_set.selections:
            tally.directives += len(selection.directives or ())
            if isinstance(selection, FieldNode):
                child_depth, child_cost = self._field(selection, tally, visiting, nesting)
                depth = max(depth, child_depth)
                cost += child_cost
            elif isinstance(selection, InlineFragmentNode):
                child_depth, child_cost = self.measure(
                    selection.selection_set, tally, visiting, nesting
                )
                depth, cost = max(depth, child_depth), cost + child_cost
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in visiting:
                    continue  # unknown or cyclic spreads are reported by the standard rules
                measured = self._fragment(name, fragment, visiting, nesting)
                tally.absorb(measured.tally)
                depth, cost = max(depth, measured.depth), cost + measured.cost
        return depth, cost

    def _field(
        self, node: FieldNode, tally: _Tally, visiting: frozenset[str], nesting: int | None
    ) -> tuple[int, Cost]:
        if node.alias is not None:
            tally.aliases += 1
        name = node.name.value
        if nesting is None and name in _INTROSPECTION_ROOTS:
            # counted against the introspection limits; one level of the query's own depth
            inner_depth, _ = self.measure(node.selection_set, tally, visiting, 0)
            tally.introspection_depth = max(tally.introspection_depth, 1 + inner_depth)
            return 1, Cost(1)
        if nesting is not None and name in _INTROSPECTION_LISTS:
            nesting += 1
            tally.introspection_nesting = max(tally.introspection_nesting, nesting)
        child_depth, child_cost = self.measure(node.selection_set, tally, visiting, nesting)
        depth = 1 + child_depth if node.selection_set else 1
        page = self._page(node)
        if isinstance(page, int):
            return depth, Cost(1) + child_cost.times(page)
        return depth, Cost(1, ((1, page, child_cost),))

    def _fragment(
        self,
        name: str,
        fragment: FragmentDefinitionNode,
        visiting: frozenset[str],
        nesting: int | None,
    ) -> _Measure:
        key = (name, nesting)
        if key not in self.memo:
            tally = _Tally()
            depth, cost = self.measure(fragment.selection_set, tally, visiting | {name}, nesting)
            self.memo[key] = _Measure(depth, cost, tally)
        return self.memo[key]

    def _page(self, node: FieldNode) -> int | PageVariable:
        """How many items a field returns: its page size argument, or its default."""
        fallback = _DEFAULT_PAGE.get(node.name.value, 1)
        for argument in node.arguments or ():
            if argument.name.value not in _PAGE_ARGUMENTS:
                continue
            if isinstance(argument.value, IntValueNode):
                return max(1, min(int(argument.value.value), MAX_FIRST))
            if isinstance(argument.value, VariableNode):
                name = argument.value.name.value
                return PageVariable(name, self.declared.get(name), fallback)
        return fallback


def _declared_defaults(operation: OperationDefinitionNode) -> dict[str, int | None]:
    return {
        d.variable.name.value: (
            int(d.default_value.value) if isinstance(d.default_value, IntValueNode) else None
        )
        for d in operation.variable_definitions or ()
    }


# ------------------------------------------------------------------ the limiter


@dataclass(frozen=True)
class _Analysis:
    plans: dict[str | None, OperationPlan]
    problems: list[GraphQLError]


class QueryLimiter:
    """The limits of one schema: a validation rule (static limits, cached per document by
    ValidationCache) and an extension that prices variable page sizes per request."""

    def __init__(self, limits: QueryLimits) -> None:
        self.limits = limits
        self._analyses: OrderedDict[str, _Analysis] = OrderedDict()
        self.rule = self._rule_class()

    def _rule_class(self) -> type[ASTValidationRule]:
        limiter = self

        class QueryLimitsRule(ASTValidationRule):
            def enter_document(self, node: DocumentNode, *_args: Any) -> Any:
                _check_document(self.context, node, limiter)
                return self.SKIP

        return QueryLimitsRule

    def analysis(self, document: DocumentNode) -> _Analysis:
        source = document.loc.source.body if document.loc else None
        if source is not None and (cached := self._analyses.get(source)) is not None:
            self._analyses.move_to_end(source)
            return cached
        analysis = _analyse(document, self.limits)
        if source is not None:
            self._analyses[source] = analysis
            if len(self._analyses) > _PLAN_CACHE_SIZE:
                self._analyses.popitem(last=False)
        return analysis

    def request_error(
        self, document: DocumentNode, operation_name: str | None, variables: Mapping[str, Any]
    ) -> GraphQLError | None:
        plans = self.analysis(document).plans
        if operation_name is None and len(plans) > 1:
            # graphql-core would refuse it too, but as an error that looks like any other
            return GraphQLError(
                "the document has several operations: say which to run in 'operationName'",
                extensions={"code": OPERATION_CODE},
            )
        plan = plans.get(operation_name) if operation_name else next(iter(plans.values()), None)
        if plan is None or not plan.cost.terms:
            return None  # constant costs were checked (once) during validation
        return _cost_error(plan, plan.cost.total(variables), self.limits.max_cost)

    def extension(self) -> type[SchemaExtension]:
        limiter = self

        class RequestLimits(SchemaExtension):
            # The compiled execution path (execution/) runs this same check before a plan.
            request_check = staticmethod(limiter.request_error)

            def on_execute(self) -> Iterator[None]:
                context = self.execution_context
                if context.graphql_document is not None and context.result is None:
                    # Strawberry's `operation_name` falls back to the document's first
                    # operation; the spec wants a document of several to name the one to run.
                    requested = getattr(context, "_provided_operation_name", context.operation_name)
                    error = limiter.request_error(
                        context.graphql_document, requested, context.variables or {}
                    )
                    if error is not None:
                        context.result = ExecutionResult(data=None, errors=[error])
                yield

        return RequestLimits


def _check_document(
    context: ValidationContext, document: DocumentNode, limiter: QueryLimiter
) -> None:
    for problem in limiter.analysis(document).problems:
        context.report_error(problem)


def _analyse(document: DocumentNode, limits: QueryLimits) -> _Analysis:
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    plans: dict[str | None, OperationPlan] = {}
    problems: list[GraphQLError] = []
    for operation in document.definitions:
        if not isinstance(operation, OperationDefinitionNode):
            continue
        tally = _Tally(directives=len(operation.directives or ()))
        walker = _Walker(fragments, _declared_defaults(operation))
        depth, cost = walker.measure(operation.selection_set, tally, frozenset(), None)
        name = operation.name.value if operation.name else "anonymous operation"
        plan = OperationPlan(name, cost, operation)
        plans[operation.name.value if operation.name else None] = plan
        problems += _static_problems(plan, depth, tally, limits)
    return _Analysis(plans, problems)


def _static_problems(
    plan: OperationPlan, depth: int, tally: _Tally, limits: QueryLimits
) -> list[GraphQLError]:
    name, node = plan.name, plan.node
    checks = [
        (
            depth > limits.max_depth,
            f"'{name}' exceeds the maximum query depth of {limits.max_depth} (depth {depth})",
            {"depth": depth, "maxDepth": limits.max_depth},
        ),
        (
            tally.aliases > limits.max_aliases,
            f"'{name}' uses {tally.aliases} aliases; the maximum is {limits.max_aliases}",
            {"aliases": tally.aliases, "maxAliases": limits.max_aliases},
        ),
        (
            tally.directives > limits.max_directives,
            f"'{name}' uses {tally.directives} directives; the maximum is {limits.max_directives}",
            {"directives": tally.directives, "maxDirectives": limits.max_directives},
        ),
        (
            tally.introspection_depth > limits.max_introspection_depth,
            f"'{name}' exceeds the maximum introspection depth of "
            f"{limits.max_introspection_depth} (depth {tally.introspection_depth})",
            {
                "depth": tally.introspection_depth,
                "maxDepth": limits.max_introspection_depth,
            },
        ),
        (
            tally.introspection_nesting > limits.max_introspection_nesting,
            f"'{name}' nests {tally.introspection_nesting} introspection lists (fields, "
            f"inputFields, interfaces, possibleTypes); the maximum is "
            f"{limits.max_introspection_nesting}",
            {
                "nesting": tally.introspection_nesting,
                "maxNesting": limits.max_introspection_nesting,
            },
        ),
    ]
    problems = [
        GraphQLError(message, node, extensions={"code": LIMIT_CODE, **figures})
        for failed, message, figures in checks
        if failed
    ]
    if not plan.cost.terms and (error := _cost_error(plan, plan.cost.fixed, limits.max_cost)):
        problems.append(error)
    return problems


def _cost_error(plan: OperationPlan, cost: int, max_cost: int) -> GraphQLError | None:
    if cost <= max_cost:
        return None
    return GraphQLError(
        f"'{plan.name}' costs {cost}; the maximum query cost is {max_cost} "
        f"(lower 'first' or select less)",
        plan.node,
        extensions={"code": LIMIT_CODE, "cost": cost, "maxCost": max_cost},
    )
