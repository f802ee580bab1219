"""Value completion, built once per field type: leaf, list, object and non-null completers.

Each completer is `complete(run, result, path) -> value or awaitable` and raises on a field
error, as graphql-core's `complete_value` does; the messages are graphql-core's own. The
concurrency shape (which awaitables are gathered, which are awaited directly) is graphql-core's
too, so resolvers run and DataLoaders batch in the same order on both paths.
"""

from __future__ import annotations

from abc import ABCMeta
from collections.abc import Callable, Sequence
from contextlib import suppress
from types import CoroutineType, GeneratorType
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLError,
    GraphQLID,
    GraphQLLeafType,
    GraphQLObjectType,
    GraphQLString,
    Undefined,
    located_error,
)
from graphql.pyutils import Path, gather_with_cancel, inspect, is_iterable
from graphql.pyutils.is_awaitable import is_async_iterable
from strawberry.schema.schema_converter import GraphQLCoreConverter

from seg_graphql.execution.runtime import Run, is_awaitable
from seg_graphql.execution.straight_line import MISS, straight_line

Completer = Callable[[Run, Any, Path], Any]

# Neither is an async iterable, and both are iterable: no need to ask.
_PLAIN_SEQUENCES = (list, tuple)
# What completed fields mostly are; is_awaitable answers False for these without a call.
NEVER_AWAITABLE = frozenset({dict, list, str, int, float, bool, type(None)})
# Classes whose instances graphql-core takes for errors or awaitables by their class.
_NOT_PLAIN = (BaseException, CoroutineType, GeneratorType)


def passthrough_type(type_: GraphQLLeafType) -> type | None:
    """The Python type a built-in scalar returns unchanged (graphql-core's serialize_*
    functions check isinstance first); None for every other leaf type."""
    if type_ is GraphQLString or type_ is GraphQLID:
        return str
    if type_ is GraphQLBoolean:
        return bool
    return None


def leaf_completer(type_: GraphQLLeafType, memos: dict[Any, dict[Any, Any]]) -> Completer:
    coerce = _memoised_enum(type_, memos) or type_.coerce_output_value
    passthrough = passthrough_type(type_)

    def complete(run: Run, result: Any, path: Path) -> Any:
        if isinstance(result, Exception):
            raise result
        if result is None or result is Undefined:
            return None
        if type(result) is passthrough:
            return result
        coerced = coerce(result)
        if coerced is Undefined or coerced is None:
            msg = (
                f"Expected `{inspect(type_)}.coerce_output_value("
                f"{inspect(result)})` to return non-nullable value, returned:"
                f" {inspect(coerced)}"
            )
            raise TypeError(msg)
        return coerced

    return complete


def enum_names(
    type_: GraphQLLeafType, memos: dict[Any, dict[Any, Any]]
) -> tuple[type, dict[Any, Any]] | None:
    """Strawberry's enum type scans every value to name a member; a member's name never
    changes, so each is named once, when the plan is built, into `memos[type_]` (one per
    plan, shared by the type's completers, the inline reads of `execute_fields` and the
    straight lines)."""
    members = getattr(type_, "wrapped_cls", None)
    if not isinstance(type_, GraphQLEnumType) or not isinstance(members, type):
        return None
    if issubclass(members, Exception) or hasattr(members, "__await__"):
        return None  # graphql-core raises such a member, or awaits it and names what it gives
    names = memos.get(type_)
    if names is None:
        names = memos[type_] = {}
        for member in members:  # type: ignore[var-annotated]
            if is_awaitable(member):  # an `__await__` of its own: awaited, not named
                continue
            with suppress(Exception):  # a member it cannot name stays for the completer
                names[member] = type_.coerce_output_value(member)
    return members, names


def _memoised_enum(
    type_: GraphQLLeafType, memos: dict[Any, dict[Any, Any]]
) -> Callable[[Any], Any] | None:
    found = enum_names(type_, memos)
    if found is None:
        return None
    members, names = found
    coerce = type_.coerce_output_value

    def coerce_member(value: Any) -> Any:
        if type(value) is not members:
            return coerce(value)
        name = names.get(value)
        if name is None:
            name = coerce(value)
            if not is_awaitable(value):  # the inline reads would name it without awaiting
                names[value] = name
        return name

    return coerce_member


def non_null_completer(inner: Completer, parent_name: str, field_name: str) -> Completer:
    message = f"Cannot return null for non-nullable field {parent_name}.{field_name}."
    body = getattr(inner, "body", None)
    if body is not None:
        # Objects and lists complete to null only from null: check that here, once.
        def complete_present(run: Run, result: Any, path: Path) -> Any:
            if isinstance(result, Exception):
                raise result
            if result is None or result is Undefined:
                raise TypeError(message)
            return body(run, result, path)

        for name in ("fields", "plain", "straight", "items"):
            setattr(complete_present, name, getattr(inner, name, None))
        return complete_present

    def complete(run: Run, result: Any, path: Path) -> Any:
        if isinstance(result, Exception):
            raise result
        completed = inner(run, result, path)
        if completed is None:
            raise TypeError(message)
        return completed

    return complete


def plain_class(type_: GraphQLObjectType) -> type | None:
    """The Python class of `type_`'s objects, when graphql-core's questions about a value of
    exactly that class (an error? null? awaitable?) all answer no, provided the instance's own
    `__dict__` holds no `__await__`: the lists and fields holding such objects then complete
    them with `execute_fields` at once. None when the class could answer otherwise."""
    definition = (type_.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    cls = getattr(definition, "origin", None)
    if not isinstance(cls, type) or issubclass(cls, _NOT_PLAIN):
        return None
    if hasattr(cls, "__await__") or hasattr(cls, "__getattr__"):
        return None
    if cls.__getattribute__ is not object.__getattribute__ or type(cls) not in (type, ABCMeta):
        return None
    if cls.__dictoffset__ == 0 or any("__class__" in vars(k) for k in cls.__mro__[:-1]):
        return None  # no instance __dict__ to look into, or a class that lies about itself
    return cls


def object_completer(fields: Sequence[Any], plain: type | None) -> Completer:
    def body(run: Run, result: Any, path: Path) -> Any:
        return execute_fields(run, fields, result, path)

    def complete(run: Run, result: Any, path: Path) -> Any:
        if isinstance(result, Exception):
            raise result
        if result is None or result is Undefined:
            return None
        return execute_fields(run, fields, result, path)

    complete.body = body  # type: ignore[attr-defined]
    complete.fields = fields  # type: ignore[attr-defined]
    complete.plain = plain  # type: ignore[attr-defined]
    complete.straight = straight_line(fields, plain)  # type: ignore[attr-defined]
    return complete


def list_completer(
    item: Completer, item_nullable: bool, nodes: list[Any], parent_name: str, field_name: str
) -> Completer:
    not_iterable = (
        f"Expected Iterable, but did not find one for field '{parent_name}.{field_name}'."
    )

    def body(run: Run, result: Any, path: Path) -> Any:
        if type(result) not in _PLAIN_SEQUENCES:
            if is_async_iterable(result):
                return _complete_async_iterator(
                    run, item, item_nullable, nodes, path, result.__aiter__()
                )
            if not is_iterable(result):
                raise GraphQLError(not_iterable)
        return _complete_iterable(run, item, item_nullable, nodes, path, result)

    def complete(run: Run, result: Any, path: Path) -> Any:
        if isinstance(result, Exception):
            raise result
        if result is None or result is Undefined:
            return None
        return body(run, result, path)

    complete.body = body  # type: ignore[attr-defined]
    straight = getattr(item, "straight", None)
    complete.items = (  # type: ignore[attr-defined]
        (item.plain, straight, item_nullable) if straight is not None else None  # type: ignore[attr-defined]
    )
    return complete


def _complete_iterable(
    run: Run, item: Completer, nullable: bool, nodes: list[Any], path: Path, items: Any
) -> Any:
    completed_results: list[Any] = []
    append = completed_results.append
    awaitable_indices: list[int] = []
    iterator = iter(items)
    index = 0
    plain = getattr(item, "plain", None)
    fields = getattr(item, "fields", None)
    straight = getattr(item, "straight", None)
    try:
        for value in iterator:
            at_once = type(value) is plain and "__await__" not in value.__dict__
            if at_once and straight is not None:
                completed = straight(value)
                if completed is not MISS:
                    append(completed)
                    index += 1
                    continue
            item_path = Path(path, index, None)
            if not at_once and is_awaitable(value):
                append(complete_awaitable(run, item, nullable, nodes, item_path, value))
                awaitable_indices.append(index)
            else:
                try:
                    completed = (
                        execute_fields(run, fields, value, item_path)  # type: ignore[arg-type]
                        if at_once
                        else item(run, value, item_path)
                    )
                    if type(completed) not in NEVER_AWAITABLE and is_awaitable(completed):
                        append(await_completed(run, nullable, nodes, item_path, completed))
                        awaitable_indices.append(index)
                    else:
                        append(completed)
                except Exception as raw_error:
                    run.handle_field_error(raw_error, nullable, nodes, item_path)
                    append(None)
            index += 1
    except Exception:
        pending = [completed_results[i] for i in awaitable_indices]
        pending.extend(v for v in iterator if is_awaitable(v))
        if pending:
            run.settle_in_background(pending)
        raise

    if not awaitable_indices:
        return completed_results
    return _gather_items(completed_results, awaitable_indices)


async def _gather_items(results: list[Any], indices: list[int]) -> list[Any]:
    if len(indices) == 1:
        index = indices[0]
        results[index] = await results[index]
    else:
        awaited = await gather_with_cancel(*(results[i] for i in indices))
        for index, value in zip(indices, awaited, strict=True):
            results[index] = value
    return results


async def await_completed(
    run: Run, nullable: bool, nodes: list[Any], path: Path, completed: Any
) -> Any:
    try:
        return await completed
    except Exception as raw_error:
        run.handle_field_error(raw_error, nullable, nodes, path)
        return None


async def complete_awaitable(
    run: Run, item: Completer, nullable: bool, nodes: list[Any], path: Path, value: Any
) -> Any:
    try:
        resolved = await value
        completed = item(run, resolved, path)
        if is_awaitable(completed):
            completed = await completed
    except Exception as raw_error:
        run.handle_field_error(raw_error, nullable, nodes, path)
        return None
    return completed


async def _complete_async_iterator(
    run: Run, item: Completer, nullable: bool, nodes: list[Any], path: Path, iterator: Any
) -> list[Any]:
    completed_results: list[Any] = []
    awaitable_indices: list[int] = []
    early_return = getattr(iterator, "aclose", None)
    index = 0
    try:
        while True:
            item_path = Path(path, index, None)
            try:
                value = await anext(iterator)
            except StopAsyncIteration:
                break
            except Exception as raw_error:
                raise located_error(raw_error, nodes, path.as_list()) from raw_error
            if is_awaitable(value):
                completed_results.append(
                    complete_awaitable(run, item, nullable, nodes, item_path, value)
                )
                awaitable_indices.append(index)
            else:
                try:
                    completed = item(run, value, item_path)
                    if is_awaitable(completed):
                        completed_results.append(
                            await_completed(run, nullable, nodes, item_path, completed)
                        )
                        awaitable_indices.append(index)
                    else:
                        completed_results.append(completed)
                except Exception as raw_error:
                    run.handle_field_error(raw_error, nullable, nodes, item_path)
                    completed_results.append(None)
            index += 1
    except Exception:
        if early_return is not None:
            with suppress(Exception):  # graphql-core suppresses these too
                await early_return()
        if awaitable_indices:
            run.settle_in_background([completed_results[i] for i in awaitable_indices])
        raise
    if not awaitable_indices:
        return completed_results
    return await _gather_items(completed_results, awaitable_indices)


def execute_fields(run: Run, fields: Sequence[Any], source: Any, path: Path | None) -> Any:
    """graphql-core's `execute_fields`: every field at once, awaitables gathered together.

    Attributes holding built-in scalars, most of a response, are read and stored inline."""
    results: dict[str, Any] = {}
    awaitable_fields: list[str] = []
    try:
        for field in fields:
            attribute = field.attribute
            if attribute is not None:
                try:
                    value = getattr(source, attribute)
                except Exception as raw_error:
                    results[field.key] = field.fail(run, raw_error, path)
                    continue
                if type(value) is field.passthrough:
                    results[field.key] = value
                    continue
                # one lookup: an enum member hashes in Python code
                if type(value) is field.enum_class and (
                    (name := field.enum_names.get(value)) is not None
                ):
                    results[field.key] = name
                    continue
                if type(value) is field.plain and "__await__" not in value.__dict__:
                    # an edge's node: `finish` and its field completion, inline
                    if field.straight is not None:
                        result = field.straight(value)
                        if result is not MISS:
                            results[field.key] = result
                            continue
                    result = _complete_plain(run, field, value, path)
                else:
                    result = field.finish(run, value, path)
            else:
                result = field.execute(run, source, path)
            results[field.key] = result
            if type(result) not in NEVER_AWAITABLE and is_awaitable(result):
                awaitable_fields.append(field.key)
    except Exception:
        if awaitable_fields:
            run.settle_in_background([results[key] for key in awaitable_fields])
        raise
    if not awaitable_fields:
        return results
    return _gather_fields(results, awaitable_fields)


def _complete_plain(run: Run, field: Any, value: Any, parent_path: Path | None) -> Any:
    """`fields._field_completion` for an inline object of its type's plain class."""
    path = Path(parent_path, field.key, field.parent_name)
    try:
        completed = execute_fields(run, field.fields, value, path)
        if type(completed) not in NEVER_AWAITABLE and is_awaitable(completed):
            return await_completed(run, field.nullable, field.nodes, path, completed)
        return completed
    except Exception as raw_error:
        run.handle_field_error(raw_error, field.nullable, field.nodes, path)
        return None


async def _gather_fields(results: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    if len(keys) == 1:
        key = keys[0]
        results[key] = await results[key]
    else:
        awaited = await gather_with_cancel(*(results[key] for key in keys))
        results.update(zip(keys, awaited, strict=True))
    return results
