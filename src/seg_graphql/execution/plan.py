"""Plans an operation once: its field groups, how each field resolves and completes.

Field grouping is graphql-core's own (`collect_fields` / `collect_subfields`), run once per
document and per combination of `@skip`/`@include` outcomes instead of once per request and
per object. Whatever a plan cannot reproduce exactly raises `Unsupported`, and the request
goes through the generic execution.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLIncludeDirective,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSkipDirective,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import (
    FieldDetailsList,
    FragmentDetails,
    collect_fields,
    collect_subfields,
)
from graphql.execution.values import VariableValues, get_argument_values
from graphql.language import Visitor, visit

from seg_graphql.execution.completion import (
    Completer,
    leaf_completer,
    list_completer,
    non_null_completer,
    object_completer,
    plain_class,
)
from seg_graphql.execution.fields import Document, FieldPlan, plan_field

_INTROSPECTION = frozenset({"__schema", "__type"})
_CONDITIONS = (GraphQLSkipDirective.name, GraphQLIncludeDirective.name)


class Unsupported(Exception):
    """The plan cannot reproduce the generic execution here; the reason is the message."""


@dataclass
class OperationPlan:
    """One operation of one document; a root plan per set of @skip/@include outcomes."""

    document: Document
    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDetails]
    conditional: list[Any]  # selections whose @skip/@include read a variable
    variants: dict[tuple[bool, ...], list[FieldPlan] | Unsupported] = field(default_factory=dict)
    parsed: DocumentNode | None = None  # the document as parsed, for per-request checks

    def variant_key(self, variables: VariableValues) -> tuple[bool, ...]:
        return tuple(_included(node, variables) for node in self.conditional)

    def root_fields(self, variables: VariableValues) -> list[FieldPlan] | Unsupported:
        key = self.variant_key(variables) if self.conditional else ()
        plan = self.variants.get(key)
        if plan is None:
            try:
                plan = _Planner(self, variables).root()
            except Unsupported as reason:
                plan = reason
            except RecursionError:
                plan = Unsupported("selections nested too deeply")
            self.variants[key] = plan
        return plan


def plan_operation(
    strawberry_schema: Any, document: DocumentNode, operation_name: str | None
) -> OperationPlan:
    operation = _operation(document, operation_name)
    if operation.operation is not OperationType.QUERY:
        raise Unsupported(f"{operation.operation.value} operation")
    if operation.directives:
        raise Unsupported("operation directives")
    definitions = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    if any(d.variable_definitions for d in definitions.values()):
        raise Unsupported("fragment variables")
    reachable = _reachable(operation, definitions)
    conditional: list[Any] = []
    for node in _selections(reachable):
        if isinstance(node, FieldNode) and node.name.value in _INTROSPECTION:
            raise Unsupported("introspection")
        for directive in node.directives or ():
            name = directive.name.value
            if name not in _CONDITIONS:
                raise Unsupported(f"directive @{name}")
            if _reads_variable(directive):
                conditional.append(node)
                break
    return OperationPlan(
        document=Document(strawberry_schema, operation, definitions),
        operation=operation,
        fragments={name: FragmentDetails(d, None) for name, d in definitions.items()},
        conditional=conditional,
        parsed=document,
    )


class _Planner:
    def __init__(self, plan: OperationPlan, variables: VariableValues) -> None:
        self.plan = plan
        self.document = plan.document
        self.schema = plan.document.strawberry_schema._schema
        self.variables = variables

    def root(self) -> list[FieldPlan]:
        root_type = self.schema.get_root_type(self.plan.operation.operation)
        if root_type is None:
            raise Unsupported("no root type")
        collected = collect_fields(
            self.schema, self.plan.fragments, self.variables, root_type, self.plan.operation
        )
        return self.fields(root_type, collected.grouped_field_set)

    def fields(
        self, parent_type: GraphQLObjectType, grouped: dict[str, FieldDetailsList]
    ) -> list[FieldPlan]:
        plans = []
        for key, details in grouped.items():
            if any(d.defer_usage is not None or d.fragment_variable_values for d in details):
                raise Unsupported("deferred or parameterised fragments")
            field_name = details[0].node.name.value
            if field_name in _INTROSPECTION:
                raise Unsupported("introspection")
            field_def = self.schema.get_field(parent_type, field_name)
            if field_def is None:
                continue  # graphql-core leaves unknown fields out of the response
            nodes = [d.node for d in details]
            complete, leaf = self.completer(
                field_def.type, parent_type.name, field_name, nodes, details
            )
            plans.append(
                plan_field(self.document, parent_type, key, field_def, details, complete, leaf)
            )
        return plans

    def completer(
        self,
        type_: GraphQLOutputType,
        parent_name: str,
        field_name: str,
        nodes: list[FieldNode],
        details: FieldDetailsList,
    ) -> tuple[Completer, bool]:
        """The completer for `type_`, and whether it is a (non-null) leaf."""
        if is_non_null_type(type_):
            inner, leaf = self.completer(type_.of_type, parent_name, field_name, nodes, details)
            return non_null_completer(inner, parent_name, field_name), leaf
        if is_list_type(type_):
            item_type = type_.of_type
            item, _ = self.completer(item_type, parent_name, field_name, nodes, details)
            nullable = not is_non_null_type(item_type)
            return list_completer(item, nullable, nodes, parent_name, field_name), False
        if is_leaf_type(type_):
            return leaf_completer(type_, self.document.enum_memos), True
        if is_object_type(type_):
            if type_.is_type_of is not None:
                raise Unsupported(f"is_type_of on {type_.name}")
            collected = collect_subfields(
                self.schema,
                self.plan.fragments,
                self.variables,
                self.plan.operation,
                type_,
                details,
            )
            fields = self.fields(type_, collected.grouped_field_set)
            return object_completer(fields, plain_class(type_)), False
        raise Unsupported(f"abstract type {type_}")


def _operation(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode:
    """The operation graphql-core's Executor.build would pick."""
    found: OperationDefinitionNode | None = None
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        if operation_name is None:
            if found is not None:
                raise Unsupported("several operations and no operation name")
            found = definition
        elif definition.name and definition.name.value == operation_name:
            found = definition
    if found is None:
        raise Unsupported("no such operation")
    return found


def _reachable(
    operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
) -> list[SelectionSetNode]:
    """The operation's selection set and those of the fragments it spreads, transitively."""
    sets = [operation.selection_set]
    seen: set[str] = set()
    index = 0
    while index < len(sets):
        for node in _selections([sets[index]]):
            if isinstance(node, FragmentSpreadNode):
                name = node.name.value
                if name not in seen and name in fragments:
                    seen.add(name)
                    sets.append(fragments[name].selection_set)
        index += 1
    return sets


def _selections(selection_sets: list[SelectionSetNode]) -> Iterator[Any]:
    stack = list(selection_sets)
    while stack:
        selection_set = stack.pop()
        for node in selection_set.selections:
            yield node
            if isinstance(node, FieldNode | InlineFragmentNode) and node.selection_set:
                stack.append(node.selection_set)


class _VariableFinder(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_variable(self, node: VariableNode, *_args: Any) -> Any:
        self.found = True
        return self.BREAK


def _reads_variable(directive: Any) -> bool:
    finder = _VariableFinder()
    visit(directive, finder)
    return finder.found


def _included(node: Any, variables: VariableValues) -> bool:
    """graphql-core's `should_include_node` for one selection (skip wins over include)."""
    directives = {d.name.value: d for d in reversed(node.directives)}  # the first of each
    skip = directives.get(GraphQLSkipDirective.name)
    if skip and get_argument_values(GraphQLSkipDirective, skip, variables)["if"]:
        return False
    include = directives.get(GraphQLIncludeDirective.name)
    return not (
        include and not get_argument_values(GraphQLIncludeDirective, include, variables)["if"]
    )
