"""Wires the schema: types, limits and the caches that keep the limits cheap."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from seg_graphql.graphql.access.mutations import AccessMutation
from seg_graphql.graphql.access.queries import AccessQuery
from seg_graphql.graphql.counts.mutations import CountMutation
from seg_graphql.graphql.counts.queries import CountQuery
from seg_graphql.graphql.imports.mutations import ImportMutation
from seg_graphql.graphql.imports.queries import ImportQuery
from seg_graphql.graphql.limits import QueryLimiter, QueryLimits
from seg_graphql.graphql.membership.mutations import MembershipMutation
from seg_graphql.graphql.membership.queries import MembershipQuery
from seg_graphql.graphql.scalars import SCALAR_MAP
from seg_graphql.graphql.segments.mutations import SegmentMutation
from seg_graphql.graphql.segments.queries import SegmentQuery
from seg_graphql.graphql.users.mutations import UserMutation
from seg_graphql.graphql.users.queries import UserQuery

# One root field per domain module; the schema's field order is this order.
Query = merge_types(
    "Query", (SegmentQuery, UserQuery, MembershipQuery, CountQuery, ImportQuery, AccessQuery)
)
Mutation = merge_types(
    "Mutation",
    (
        SegmentMutation,
        UserMutation,
        MembershipMutation,
        CountMutation,
        ImportMutation,
        AccessMutation,
    ),
)
# merge_types takes no description; the root types need one like every other type.
Query.__strawberry_definition__.description = (  # type: ignore[attr-defined]
    "Reads, confined to your API key's tenant. Failures are top-level errors with "
    "extensions.code (see ErrorCode)."
)
Mutation.__strawberry_definition__.description = (  # type: ignore[attr-defined]
    "Writes, confined to your API key's tenant. Each returns a payload whose userErrors "
    "list every business failure, FORBIDDEN included; top-level errors only for "
    "authentication, query limits, outages and internal faults."
)

_CACHE_SIZE = 512


class _Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Strawberry logs every error at ERROR with a trace, a client's typo included; here
        each is logged once, by format_error, which knows a client error from a fault and
        has the request id."""


def build_schema(
    limits: QueryLimits | None = None, *, introspection: bool = True
) -> strawberry.Schema:
    limits = limits or QueryLimits()
    # one rule class per schema keeps ValidationCache's key stable
    limiter = QueryLimiter(limits)
    # Factories, so each request gets fresh extension instances (Strawberry's contract).
    extensions: list[Any] = [
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: AddValidationRules([limiter.rule]),
        lambda: ParserCache(maxsize=_CACHE_SIZE),
        lambda: ValidationCache(maxsize=_CACHE_SIZE),
        limiter.extension(),
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    return _Schema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=True, scalar_map=SCALAR_MAP),
    )


def schema_sdl() -> str:
    return build_schema().as_str() + "\n"
