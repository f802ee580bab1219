"""The one error mapping: domain errors to payload userErrors or to top-level GraphQL errors."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

import strawberry
from graphql import GraphQLError

from seg_graphql.domain.errors import AccessError, ErrorCode, Problem, UserInputError
from seg_graphql.graphql.scalars import ErrorCode as ErrorCodeEnum
from seg_graphql.store.errors import TIMEOUT, UNAVAILABLE, outage_code

log = logging.getLogger("seg_graphql.errors")

Resolver = TypeVar("Resolver", bound=Callable[..., Awaitable[Any]])

_SUGGESTION = re.compile(r"\s*Did you mean .*\?$")
OUTAGE_MESSAGES = {
    UNAVAILABLE: "the database is unavailable; retry later",
    TIMEOUT: "the request ran past its deadline and was stopped; ask for less or retry",
}

USER_ERRORS = "What failed (the input, an item of it, or permission), with codes; empty on success."
IN_ORDER = (
    "In input order; null where the item failed (see userErrors, whose path starts with the "
    "item's index)."
)


@strawberry.type(
    description="A business failure of a mutation or of one item of it (bad input, unknown "
    "id, limit, permission): a code, a message and the path of the bad field."
)
class UserError:
    field: str | None = strawberry.field(
        description="Dotted path of the bad field, e.g. input.rules.include.0.value; null when "
        "the whole operation is refused (FORBIDDEN)."
    )
    path: list[str] = strawberry.field(description="The same path as a list (the seeds' loc).")
    message: str = strawberry.field(description="What is wrong, for people.")
    code: ErrorCodeEnum = strawberry.field(description="What is wrong, for programs.")

    @classmethod
    def from_problem(cls, problem: Problem) -> UserError:
        return cls(
            field=problem.field,
            path=[str(p) for p in problem.path],
            message=problem.message,
            code=problem.code,
        )


def user_errors_in(payload: Callable[..., Any]) -> Callable[[Resolver], Resolver]:
    """Wraps a mutation's resolver: every business failure, FORBIDDEN included, becomes the
    userErrors of `payload(user_errors=...)`, with its code (SPEC section 7); only what is not
    about this mutation's input or permission (authentication, limits, outages, internal
    faults) stays top-level."""

    def wrap(resolver: Resolver) -> Resolver:
        @functools.wraps(resolver)  # Strawberry reads the arguments from the wrapped signature
        async def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return await resolver(*args, **kwargs)
            except UserInputError as exc:
                return payload(user_errors=[UserError.from_problem(p) for p in exc.problems])
            except AccessError as exc:
                if exc.code is not ErrorCode.FORBIDDEN:
                    raise
                forbidden = UserError(field=None, path=[], message=exc.message, code=exc.code)
                return payload(user_errors=[forbidden])

        return cast(Resolver, run)

    return wrap


def format_error(error: GraphQLError, request_id: str) -> dict[str, Any]:
    """A GraphQL error as the client sees it; anything unexpected is masked and logged."""
    original = error.original_error
    formatted: dict[str, Any] = {"message": error.message}
    if error.locations:
        formatted["locations"] = [
            {"line": loc.line, "column": loc.column} for loc in error.locations
        ]
    if error.path:
        formatted["path"] = error.path
    if isinstance(original, UserInputError):
        first = original.problems[0]
        formatted["extensions"] = {
            "code": first.code.value,
            "field": first.field,
            "problems": [
                {
                    "field": p.field,
                    "path": [str(x) for x in p.path],
                    "message": p.message,
                    "code": p.code.value,
                }
                for p in original.problems
            ],
        }
    elif isinstance(original, AccessError):
        formatted["extensions"] = {"code": original.code.value}
    elif original is None or error.path is None:
        # No path: the request itself is wrong (syntax, validation, variable coercion).
        formatted["message"] = _SUGGESTION.sub("", error.message)
        code = (error.extensions or {}).get("code") or _pre_execution_code(error)
        formatted["extensions"] = {**(error.extensions or {}), "code": code}
    elif (outage := outage_code(original)) is not None:
        log.warning("request %s: %s (%s)", request_id, outage, type(original).__name__)
        formatted["message"] = OUTAGE_MESSAGES[outage]
        formatted["extensions"] = {"code": outage, "requestId": request_id}
    else:
        log.error("internal error (request %s)", request_id, exc_info=original)
        formatted["message"] = f"Internal server error (request id {request_id})"
        formatted["extensions"] = {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    return formatted


def _pre_execution_code(error: GraphQLError) -> str:
    message = error.message
    if message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if message.startswith("Variable ") or "got invalid value" in message:
        return "BAD_USER_INPUT"
    return "GRAPHQL_VALIDATION_FAILED"
