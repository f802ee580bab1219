"""Query limits as one validation rule, so ValidationCache caches their verdict per document.

Strawberry's QueryDepthLimiter and MaxAliasesLimiter build new rule classes per request,
which changes ValidationCache's key and defeats it (measured 2,100 -> 930 executions/s).
`limits_rule` builds one class per schema; the same class object is passed every request.
Tokens are bounded by the parser itself (`max_tokens`), before any of this runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
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


@dataclass
class _Tally:
    aliases: int = 0
    directives: int = 0


def limits_rule(limits: QueryLimits) -> type[ASTValidationRule]:
    class QueryLimitsRule(ASTValidationRule):
        def enter_document(self, node: DocumentNode, *_args: Any) -> Any:
            _check_document(self.context, node, limits)
            return self.SKIP

    return QueryLimitsRule


def _check_document(
    context: ValidationContext, document: DocumentNode, limits: QueryLimits
) -> None:
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    for operation in document.definitions:
        if not isinstance(operation, OperationDefinitionNode):
            continue
        tally = _Tally(directives=len(operation.directives or ()))
        walker = _Walker(fragments, tally)
        depth, cost = walker.measure(operation.selection_set, set())
        name = operation.name.value if operation.name else "anonymous operation"
        problems = [
            (
                depth > limits.max_depth,
                f"'{name}' exceeds the maximum query depth of {limits.max_depth} (depth {depth})",
            ),
            (
                tally.aliases > limits.max_aliases,
                f"'{name}' uses {tally.aliases} aliases; the maximum is {limits.max_aliases}",
            ),
            (
                cost > limits.max_cost,
                f"'{name}' costs {cost}; the maximum query cost is "
                f"{limits.max_cost} (lower 'first' or select less)",
            ),
            (
                tally.directives > limits.max_directives,
                f"'{name}' uses {tally.directives} directives; the maximum is "
                f"{limits.max_directives}",
            ),
        ]
        for failed, message in problems:
            if failed:
                context.report_error(
                    GraphQLError(message, operation, extensions={"code": "QUERY_LIMIT_EXCEEDED"})
                )


class _Walker:
    def __init__(self, fragments: dict[str, FragmentDefinitionNode], tally: _Tally) -> None:
        self.fragments = fragments
        self.tally = tally
        # Memoised per fragment: a document that spreads fragments into fragments must not
        # make this walk exponential (each fragment is measured once, counted per use).
        self.memo: dict[str, tuple[int, int, int, int]] = {}

    def measure(
        self, selection_set: SelectionSetNode | None, visiting: set[str]
    ) -> tuple[int, int]:
        """Depth and cost of a selection set. Each field costs 1; a field taking `first`
        multiplies what it selects by that page size (MAX_FIRST when it is a variable)."""
        if selection_set is None:
            return 0, 0
        depth = cost = 0
        for selection in selection_set.selections:
            self.tally.directives += len(selection.directives or ())
            if isinstance(selection, FieldNode):
                if selection.alias is not None:
                    self.tally.aliases += 1
                child_depth, child_cost = self.measure(selection.selection_set, visiting)
                depth = max(depth, 1 + child_depth if selection.selection_set else 1)
                cost += 1 + _page_size(selection) * child_cost
            elif isinstance(selection, InlineFragmentNode):
                child_depth, child_cost = self.measure(selection.selection_set, visiting)
                depth, cost = max(depth, child_depth), cost + child_cost
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in visiting:
                    continue  # unknown or cyclic spreads are reported by the standard rules
                child_depth, child_cost = self._fragment(name, fragment, visiting)
                depth, cost = max(depth, child_depth), cost + child_cost
        return depth, cost

    def _fragment(
        self, name: str, fragment: FragmentDefinitionNode, visiting: set[str]
    ) -> tuple[int, int]:
        if name not in self.memo:
            aliases, directives = self.tally.aliases, self.tally.directives
            depth, cost = self.measure(fragment.selection_set, visiting | {name})
            self.memo[name] = (
                depth,
                cost,
                self.tally.aliases - aliases,
                self.tally.directives - directives,
            )
            return depth, cost
        depth, cost, aliases, directives = self.memo[name]
        self.tally.aliases += aliases
        self.tally.directives += directives
        return depth, cost


def _page_size(field: FieldNode) -> int:
    for argument in field.arguments or ():
        if argument.name.value != "first":
            continue
        if isinstance(argument.value, IntValueNode):
            return max(1, min(int(argument.value.value), MAX_FIRST))
        if isinstance(argument.value, VariableNode):
            return MAX_FIRST
    return DEFAULT_FIRST if field.name.value in _CONNECTIONS else 1


# Fields that return a page even when `first` is omitted.
_CONNECTIONS = frozenset({"segments", "members", "users", "history"})
