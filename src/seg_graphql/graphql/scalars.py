"""GraphQL enums and scalars shared by types and inputs (domain enums exposed as-is).

Every enum value carries a description: generated SDKs and GraphiQL show them, and
`described_enum` refuses an enum whose values are not all described.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from enum import Enum, EnumMeta
from typing import NewType, TypeVar

import strawberry
from strawberry.scalars import JSON
from strawberry.schema.types.base_scalars import DateTimeDefinition

from seg_graphql.domain.errors import ErrorCode as DomainErrorCode
from seg_graphql.domain.history import EventAction as DomainEventAction
from seg_graphql.domain.history import EventSource as DomainEventSource
from seg_graphql.domain.membership import MembershipState as DomainMembershipState
from seg_graphql.domain.membership import UserStatus as DomainUserStatus
from seg_graphql.domain.models import EditableBy as DomainEditableBy
from seg_graphql.domain.models import LinkType as DomainLinkType
from seg_graphql.domain.models import Operator as DomainOperator
from seg_graphql.domain.models import Role as DomainRole
from seg_graphql.domain.models import SegmentType as DomainSegmentType
from seg_graphql.domain.times import aware_utc

E = TypeVar("E", bound=EnumMeta)


def described_enum(cls: E, *, name: str, description: str, values: Mapping[str, str]) -> E:
    """`strawberry.enum` for a domain enum, with a description for each of its values."""
    enum = strawberry.enum(cls, name=name, description=description)
    definition = enum.__strawberry_definition__  # type: ignore[attr-defined]
    missing = {v.name for v in definition.values} ^ set(values)
    if missing:
        raise ValueError(f"{name}: describe exactly its values (wrong: {sorted(missing)})")
    for value in definition.values:
        value.description = values[value.name]
    return enum


SegmentType = described_enum(
    DomainSegmentType,
    name="SegmentType",
    description="How a segment decides who is in it.",
    values={
        "STATIC": "An explicit list of users (addSegmentUsers, imports), plus overrides.",
        "DYNAMIC": "Users matching the include/exclude rules, plus list entries and overrides.",
    },
)
EditableBy = described_enum(
    DomainEditableBy,
    name="EditableBy",
    description="Who may change a segment, its links and its memberships.",
    values={
        "ADMIN": "Only ADMIN keys.",
        "ASSIGNED": "ADMIN keys, and EDITOR keys whose user or team is linked to the segment.",
    },
)
LinkType = described_enum(
    DomainLinkType,
    name="LinkType",
    description="What a segment link points at (Feedier links).",
    values={"TEAM": "A team id (an API key's teams).", "USER": "A user id (an API key's user)."},
)
Operator = described_enum(
    DomainOperator,
    name="Operator",
    description="Criterion operators, with MongoDB's semantics: on a list field (badges) a "
    "criterion matches when any element does; comparisons only compare like types.",
    values={
        "EQUALS": "The field equals the value.",
        "NOT_EQUALS": "The field differs from the value, or is missing.",
        "IN": "The field equals one of the values (value: a list).",
        "NOT_IN": "The field equals none of the values, or is missing (value: a list).",
        "CONTAINS": "Text: a case-insensitive substring; badges: the list holds the value.",
        "NOT_CONTAINS": "The opposite of CONTAINS; also true when the field is missing.",
        "GT": "Greater than the value.",
        "GTE": "Greater than or equal to the value.",
        "LT": "Less than the value.",
        "LTE": "Less than or equal to the value.",
        "EXISTS": "The field is present (no value).",
        "NOT_EXISTS": "The field is missing (no value).",
    },
)
Role = described_enum(
    DomainRole,
    name="Role",
    description="What an API key may do in its tenant.",
    values={
        "ADMIN": "Everything, including admin-only segments and refreshEstimates.",
        "EDITOR": "Read; create segments; change segments it may edit (see EditableBy); "
        "upsert users; run imports.",
        "VIEWER": "Read only.",
    },
)
ErrorCode = described_enum(
    DomainErrorCode,
    name="ErrorCode",
    description="Why an operation failed: in a mutation's userErrors, or in a query "
    "error's extensions.code.",
    values={
        "BAD_USER_INPUT": "A value is malformed or out of range; `field` points at it.",
        "NOT_FOUND": "No such id in your tenant (another tenant's ids are NOT_FOUND too).",
        "DUPLICATE": "A unique value (technicalName, an identifier of a user) is taken.",
        "LIMIT_EXCEEDED": "A documented limit would be exceeded; the message names it.",
        "CYCLE": "segment criteria would make a segment depend on itself.",
        "UNAUTHENTICATED": "No API key, or an unknown or revoked one (HTTP 401).",
        "FORBIDDEN": "The key's role or the segment's editableBy does not allow this.",
    },
)
UserStatus = described_enum(
    DomainUserStatus,
    name="UserStatus",
    description="A membership override set by setUserStatus (Village).",
    values={
        "ADD": "Forces membership, whatever lists and rules say.",
        "BLOCK": "Forces non-membership: lists and rules cannot add the user back.",
        "RESET": "Removes the override; lists and rules decide again.",
    },
)
MembershipState = described_enum(
    DomainMembershipState,
    name="MembershipState",
    description="Why a user is in a segment or not, by precedence BLOCK > ADD > list > rules.",
    values={
        "BLOCKED": "Not a member: a BLOCK override.",
        "ADDED": "A member: an ADD override.",
        "LISTED": "A member: on the segment's list, not expired.",
        "MATCHED": "A member: the dynamic segment's rules match the profile.",
        "NONE": "Not a member.",
    },
)


@strawberry.enum(description="What makes a user a member (Membership.source).")
class MembershipSource(Enum):
    OVERRIDE = strawberry.enum_value("OVERRIDE", description="An ADD or BLOCK override.")
    LIST = strawberry.enum_value("LIST", description="A live entry on the segment's list.")
    RULES = strawberry.enum_value("RULES", description="The dynamic segment's rules.")


EventAction = described_enum(
    DomainEventAction,
    name="MembershipEventAction",
    description="What a membership change did.",
    values={
        "OVERRIDE_SET": "An ADD or BLOCK override was set (see after.override).",
        "OVERRIDE_RESET": "The override was removed (RESET).",
        "LISTED": "The user was put on the segment's list (or their entry was updated).",
        "UNLISTED": "The user was taken off the segment's list.",
        "EXPIRED": "The user's list entry expired and was swept.",
    },
)
EventSource = described_enum(
    DomainEventSource,
    name="MembershipEventSource",
    description="What made a membership change.",
    values={
        "API": "A mutation (setUserStatus, addSegmentUsers, removeSegmentUsers...).",
        "IMPORT": "A line of a runImport job.",
        "EXPIRY": "The background sweep of expired list entries.",
    },
)


def _parse_timestamp(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ValueError("a Unix timestamp is a whole number of seconds")
    if not -(2**53) < value < 2**53:
        raise ValueError("the timestamp is out of range")
    return int(value)


def serialize_datetime(value: datetime) -> str:
    """RFC 3339 in UTC with exactly three fractional digits, as the date-time scalar
    specification requires (MongoDB keeps milliseconds, so nothing stored is lost)."""
    if value.tzinfo is not UTC:  # the domain's datetimes are already UTC: the fast path
        value = aware_utc(value)
    return value.isoformat(timespec="milliseconds")[:-6] + "Z"  # "+00:00" -> "Z"


UnixTimestamp = NewType("UnixTimestamp", int)

SCALAR_MAP = {
    UnixTimestamp: strawberry.scalar(
        name="UnixTimestamp",
        description="Whole seconds since 1970-01-01 UTC (leap seconds not counted). Unlike Int, "
        "not limited to 32 bits (Int ends in 2038).",
        specified_by_url="https://pubs.opengroup.org/onlinepubs/9699919799/basedefs/"
        "V1_chap04.html#tag_04_16",
        serialize=int,
        parse_value=_parse_timestamp,
    ),
    datetime: strawberry.scalar(
        name="DateTime",
        description="A date and time, e.g. 2026-11-26T09:30:00.000Z: RFC 3339, returned in UTC "
        "with milliseconds. Input accepts any RFC 3339 date-time; without an offset, UTC.",
        specified_by_url="https://scalars.graphql.org/andimarek/date-time",
        serialize=serialize_datetime,
        parse_value=DateTimeDefinition.parse_value,
    ),
}

__all__ = [
    "JSON",
    "EditableBy",
    "ErrorCode",
    "EventAction",
    "EventSource",
    "LinkType",
    "MembershipSource",
    "MembershipState",
    "Operator",
    "Role",
    "SegmentType",
    "UserStatus",
]
