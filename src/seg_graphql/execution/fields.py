"""How one planned field is resolved, chosen once from what Strawberry built for it.

- a plain attribute (Strawberry's "basic field"): `getattr`, no resolve info at all;
- a Strawberry resolver with no field extensions, permissions or exception handlers: the
  Python function is called directly, as Strawberry's wrapper would call it (`self`, `info`
  and converted arguments), with an `Info` built only when the resolver asks for one or
  takes arguments;
- anything else: the field's own graphql-core resolve function with a full resolve info,
  exactly as graphql-core calls it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from inspect import isasyncgenfunction
from typing import Any

from graphql import GraphQLField, GraphQLObjectType, get_named_type, is_non_null_type
from graphql.execution.collect_fields import FieldDetailsList
from graphql.execution.executor import default_field_resolver
from graphql.execution.values import get_argument_values
from graphql.language import ListValueNode, ObjectValueNode, ValueNode, VariableNode
from graphql.pyutils import Path
from strawberry.schema.schema import _OperationContextAwareGraphQLResolveInfo
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import convert_arguments
from strawberry.types.field import StrawberryField
from strawberry.utils.await_maybe import await_maybe

from seg_graphql.execution.completion import (
    NEVER_AWAITABLE,
    Completer,
    await_completed,
    complete_awaitable,
    enum_names,
    execute_fields,
    passthrough_type,
)
from seg_graphql.execution.runtime import Run, is_awaitable
from seg_graphql.execution.straight_line import MISS

Resolve = Callable[[Run, Any, Path | None], Any]

_WRAPPER = "GraphQLCoreConverter.from_resolver.<locals>."


@dataclass(frozen=True)
class Document:
    """What every field of one planned operation shares."""

    strawberry_schema: Any
    operation: Any
    fragment_definitions: dict[str, Any]
    enum_memos: dict[Any, dict[Any, Any]] = dataclasses.field(default_factory=dict)


class FieldPlan:
    """One response key of a selection set: `execute(run, source, parent_path)`.

    A plain attribute also offers `attribute` (its Python name) and `finish` / `fail` (the
    rest of the field's execution once the attribute is read, or when reading it raised),
    so the object's loop reads it inline; one holding a leaf also `passthrough` (a value
    type stored as is) and the names of an enum's members."""

    __slots__ = (
        "attribute",
        "coerce",
        "enum_class",
        "enum_names",
        "execute",
        "fail",
        "fields",
        "finish",
        "items",
        "key",
        "nodes",
        "nullable",
        "parent_name",
        "passthrough",
        "plain",
        "straight",
        "typename",
    )

    def __init__(self, key: str, execute: Callable[[Run, Any, Path | None], Any]) -> None:
        self.key = key
        self.execute = execute
        self.attribute: str | None = None
        self.passthrough: type | None = None
        self.enum_class: type | None = None  # with enum_names: an enum member's known name
        self.enum_names: dict[Any, Any] = {}
        self.finish: Callable[[Run, Any, Path | None], Any] | None = None
        self.fail: Callable[[Run, Exception, Path | None], None] | None = None
        # an inline object's plain class (completion.plain_class) and what completing it
        # inline needs: its fields, nullability, nodes and the parent type's name
        self.plain: type | None = None
        self.fields: Any = None
        self.nullable = True
        self.nodes: list[Any] = []
        self.parent_name = ""
        # what straight_line needs: a leaf's serializer, `__typename`'s value, an object's
        # straight line, a list's items (their plain class, straight line and nullability)
        self.coerce: Callable[[Any], Any] | None = None
        self.typename: str | None = None
        self.straight: Callable[[Any], Any] | None = None
        self.items: tuple[type, Callable[[Any], Any], bool] | None = None


def plan_field(
    document: Document,
    parent_type: GraphQLObjectType,
    key: str,
    field_def: GraphQLField,
    details: FieldDetailsList,
    complete: Completer,
    leaf: bool,
) -> FieldPlan:
    nodes = [d.node for d in details]
    resolve, strategy = _resolver(document, parent_type, field_def, details, nodes)
    nullable = not is_non_null_type(field_def.type)
    parent_name = parent_type.name
    field = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not leaf and strategy == "attribute" and field.default_resolver is getattr:
        return _inline_object(key, parent_name, nodes, nullable, complete, field.python_name)
    if not (leaf and strategy in ("attribute", "typename")):
        return FieldPlan(key, _executor(key, parent_name, nodes, nullable, complete, resolve))

    def fail(run: Run, raw_error: Exception, parent_path: Path | None) -> None:
        run.handle_field_error(raw_error, nullable, nodes, Path(parent_path, key, parent_name))

    def finish(run: Run, result: Any, parent_path: Path | None) -> Any:
        try:
            if is_awaitable(result):
                path = Path(parent_path, key, parent_name)
                return complete_awaitable(run, complete, nullable, nodes, path, result)
            return complete(run, result, None)  # type: ignore[arg-type]
        except Exception as raw_error:
            fail(run, raw_error, parent_path)
            return None

    def execute(run: Run, source: Any, parent_path: Path | None) -> Any:
        try:
            result = resolve(run, source, None)
        except Exception as raw_error:
            fail(run, raw_error, parent_path)
            return None
        return finish(run, result, parent_path)

    plan = FieldPlan(key, execute)
    plan.nullable = nullable
    if strategy == "typename":
        plan.typename = parent_name
    if strategy == "attribute" and field.default_resolver is getattr:
        plan.attribute = field.python_name
        leaf_type = get_named_type(field_def.type)
        plan.coerce = leaf_type.coerce_output_value
        plan.passthrough = passthrough_type(leaf_type)
        if enum := enum_names(leaf_type, document.enum_memos):
            plan.enum_class, plan.enum_names = enum
        plan.finish = finish
        plan.fail = fail
    return plan


def _inline_object(
    key: str,
    parent_name: str,
    nodes: list[Any],
    nullable: bool,
    complete: Completer,
    attribute: str,
) -> FieldPlan:
    """A plain attribute holding an object or a list (a connection's edges, an edge's node):
    the object's loop reads it inline and `finish` does the rest of `_executor`'s work."""
    complete_field = _field_completion(nullable, nodes, complete)

    def finish(run: Run, result: Any, parent_path: Path | None) -> Any:
        return complete_field(run, result, Path(parent_path, key, parent_name))

    def fail(run: Run, raw_error: Exception, parent_path: Path | None) -> None:
        run.handle_field_error(raw_error, nullable, nodes, Path(parent_path, key, parent_name))

    def execute(run: Run, source: Any, parent_path: Path | None) -> Any:
        try:
            result = getattr(source, attribute)
        except Exception as raw_error:
            fail(run, raw_error, parent_path)
            return None
        return finish(run, result, parent_path)

    plan = FieldPlan(key, execute)
    plan.attribute = attribute
    plan.finish = finish
    plan.fail = fail
    plan.plain = getattr(complete, "plain", None)
    plan.fields = getattr(complete, "fields", None)
    plan.straight = getattr(complete, "straight", None)
    plan.items = getattr(complete, "items", None)
    plan.nullable, plan.nodes, plan.parent_name = nullable, nodes, parent_name
    return plan


def _executor(
    key: str,
    parent_name: str,
    nodes: list[Any],
    nullable: bool,
    complete: Completer,
    resolve: Resolve,
) -> Callable[[Run, Any, Path | None], Any]:
    """graphql-core's `execute_field`, minus what the plan already knows."""
    complete_field = _field_completion(nullable, nodes, complete)

    def execute(run: Run, source: Any, parent_path: Path | None) -> Any:
        path = Path(parent_path, key, parent_name)
        try:
            result = resolve(run, source, path)
        except Exception as raw_error:
            run.handle_field_error(raw_error, nullable, nodes, path)
            return None
        return complete_field(run, result, path)

    return execute


def _field_completion(
    nullable: bool, nodes: list[Any], complete: Completer
) -> Callable[[Run, Any, Path], Any]:
    """The rest of graphql-core's `execute_field` once the field resolved: complete the
    value, or its awaitable; a field error nulls the field (or raises, when non-null)."""
    plain = getattr(complete, "plain", None)  # see completion.plain_class
    fields = getattr(complete, "fields", None)
    straight = getattr(complete, "straight", None) or (lambda result: MISS)

    def complete_field(run: Run, result: Any, path: Path) -> Any:
        try:
            if type(result) is plain and "__await__" not in result.__dict__:
                completed = straight(result)
                if completed is MISS:
                    completed = execute_fields(run, fields, result, path)  # type: ignore[arg-type]
            elif is_awaitable(result):
                return complete_awaitable(run, complete, nullable, nodes, path, result)
            else:
                completed = complete(run, result, path)
            if type(completed) not in NEVER_AWAITABLE and is_awaitable(completed):
                return await_completed(run, nullable, nodes, path, completed)
            return completed
        except Exception as raw_error:
            run.handle_field_error(raw_error, nullable, nodes, path)
            return None

    return complete_field


def _resolver(
    document: Document,
    parent_type: GraphQLObjectType,
    field_def: GraphQLField,
    details: FieldDetailsList,
    nodes: list[Any],
) -> tuple[Resolve, str]:
    field_name = nodes[0].name.value
    if field_name == "__typename":
        name = parent_type.name
        return (lambda run, source, path: name), "typename"
    field = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    resolve_fn = field_def.resolve
    wrapper = getattr(resolve_fn, "__qualname__", "")
    if isinstance(field, StrawberryField) and wrapper == _WRAPPER + "_get_basic_result":
        return _attribute(field), "attribute"
    if (
        isinstance(field, StrawberryField)
        and wrapper in (_WRAPPER + "_resolver", _WRAPPER + "_async_resolver")
        and field.base_resolver is not None
        and not field.extensions
        and not _closure_value(resolve_fn, "field_exception_handlers")
        and not isasyncgenfunction(field.base_resolver._unbound_wrapped_func)
        and (wrapper.endswith("_async_resolver")) == field.is_async
    ):
        return _strawberry_resolver(document, parent_type, field_def, field, details), "resolver"
    return _generic(document, parent_type, field_def, details), "generic"


def _closure_value(function: Any, name: str) -> Any:
    code = function.__code__
    return function.__closure__[code.co_freevars.index(name)].cell_contents


def _attribute(field: StrawberryField) -> Resolve:
    name = field.python_name
    default = field.default_resolver
    if default is getattr:
        return lambda run, source, path: getattr(source, name)
    return lambda run, source, path: default(source, name)


def _arguments(field_def: GraphQLField, details: FieldDetailsList) -> Callable[[Run], dict]:
    """graphql-core's argument values, coerced per request when variables may feed them.

    Written in the document alone (`segments(first: 50)`), they are the same every request:
    kept from the first coercion that succeeds when every value is immutable (a copy of the
    dict each time), which saves graphql-core's ~4.7 us per call."""
    node = details[0].node
    if not (field_def.args or node.arguments):
        return lambda run: {}
    if not _literal(details):
        return lambda run: get_argument_values(field_def, node, run.variables, None, False)
    kept: list[dict] = []

    def literal(run: Run) -> dict:
        if kept:
            return dict(kept[0])
        values = get_argument_values(field_def, node, run.variables, None, False)
        if _immutable(values):
            kept.append(dict(values))
        return values

    return literal


def _literal(details: FieldDetailsList) -> bool:
    """The field's arguments are written in the document alone (no variable feeds them)."""
    return not any(_has_variable(argument.value) for argument in details[0].node.arguments or ())


def _immutable(values: dict) -> bool:
    return all(type(value) in _IMMUTABLE or isinstance(value, Enum) for value in values.values())


_IMMUTABLE = frozenset({int, float, str, bool, type(None)})


def _has_variable(value: ValueNode) -> bool:
    if isinstance(value, VariableNode):
        return True
    if isinstance(value, ListValueNode):
        return any(_has_variable(item) for item in value.values)
    if isinstance(value, ObjectValueNode):
        return any(_has_variable(field.value) for field in value.fields)
    return False


def _raw_info(
    document: Document,
    parent_type: GraphQLObjectType,
    field_def: GraphQLField,
    nodes: list[Any],
) -> Callable[[Run, Path], Any]:
    """The resolve info Strawberry's execution context builds for a field."""
    field_name = nodes[0].name.value
    graphql_schema = document.strawberry_schema._schema
    operation = document.operation
    fragments = document.fragment_definitions
    return_type = field_def.type

    def build(run: Run, path: Path) -> Any:
        return _OperationContextAwareGraphQLResolveInfo(
            field_name,
            nodes,
            return_type,
            parent_type,
            path,
            graphql_schema,
            fragments,
            run.root_value,
            operation,
            run.variables.coerced,
            run.context,
            is_awaitable,
            None,
            run.async_helpers,
            None,
        )

    return build


def _generic(
    document: Document,
    parent_type: GraphQLObjectType,
    field_def: GraphQLField,
    details: FieldDetailsList,
) -> Resolve:
    nodes = [d.node for d in details]
    resolve_fn = field_def.resolve or default_field_resolver
    arguments = _arguments(field_def, details)
    raw_info = _raw_info(document, parent_type, field_def, nodes)

    def resolve(run: Run, source: Any, path: Path | None) -> Any:
        assert path is not None
        args = arguments(run)
        return resolve_fn(source, raw_info(run, path), **args)

    return resolve


def _strawberry_resolver(
    document: Document,
    parent_type: GraphQLObjectType,
    field_def: GraphQLField,
    field: StrawberryField,
    details: FieldDetailsList,
) -> Resolve:
    """What Strawberry's `_resolver` / `_async_resolver` do for a field without extensions."""
    schema = document.strawberry_schema
    config = schema.config
    scalar_registry = schema.schema_converter.scalar_registry
    info_class = config.info_class
    nodes = [d.node for d in details]
    raw_info = _raw_info(document, parent_type, field_def, nodes)
    arguments = _arguments(field_def, details)
    call = field.base_resolver
    assert call is not None
    takes_arguments = bool(field.arguments)
    takes_self = call.self_parameter is not None
    parent_parameter = call.parent_parameter.name if call.parent_parameter else None
    root_parameter = call.root_parameter.name if call.root_parameter else None
    info_parameter = call.info_parameter.name if call.info_parameter else None
    needs_info = takes_arguments or info_parameter is not None
    literal = _literal(details)
    converted: list[dict] = []  # literal arguments' conversion, kept as `_arguments` keeps them

    def convert(info: Any, raw_args: dict) -> dict:
        if converted:
            return dict(converted[0])
        kwargs = convert_arguments(
            raw_args, field.arguments, scalar_registry=scalar_registry, config=config, info=info
        )
        if literal and _immutable(raw_args) and _immutable(kwargs):
            converted.append(dict(kwargs))
        return kwargs

    def invoke(run: Run, source: Any, path: Path | None, raw_args: dict) -> Any:
        # strawberry's get_arguments for a field without extensions: the converted arguments
        # (Strawberry names them again on every call: ~10 us for `segments`), then self,
        # parent, root and info
        info = info_class(_raw_info=raw_info(run, path), _field=field) if needs_info else None
        kwargs = convert(info, raw_args) if takes_arguments else {}
        if parent_parameter:
            kwargs[parent_parameter] = source
        if root_parameter:
            kwargs[root_parameter] = source
        if info_parameter:
            kwargs[info_parameter] = info
        return call(source, **kwargs) if takes_self else call(**kwargs)

    if not field.is_async:

        def resolve(run: Run, source: Any, path: Path | None) -> Any:
            return invoke(run, source, path, arguments(run))

        return resolve

    async def resolve_async(run: Run, source: Any, path: Path | None, raw_args: dict) -> Any:
        # Strawberry's async wrapper converts arguments and builds Info inside the
        # coroutine, i.e. only once the executor awaits it: so do we.
        return await await_maybe(invoke(run, source, path, raw_args))

    def resolve(run: Run, source: Any, path: Path | None) -> Any:
        return resolve_async(run, source, path, arguments(run))

    return resolve
