"""GraphQL enums and scalars shared by types and inputs (domain enums exposed as-is)."""

from __future__ import annotations

from typing import NewType

import strawberry
from strawberry.scalars import JSON

from seg_graphql.domain.errors import ErrorCode as DomainErrorCode
from seg_graphql.domain.membership import MembershipState as DomainMembershipState
from seg_graphql.domain.membership import UserStatus as DomainUserStatus
from seg_graphql.domain.models import EditableBy as DomainEditableBy
from seg_graphql.domain.models import LinkType as DomainLinkType
from seg_graphql.domain.models import Operator as DomainOperator
from seg_graphql.domain.models import Role as DomainRole
from seg_graphql.domain.models import SegmentType as DomainSegmentType

SegmentType = strawberry.enum(
    DomainSegmentType,
    name="SegmentType",
    description="STATIC: an explicit list of users. DYNAMIC: evaluated "
    "from user profiles with include/exclude criteria.",
)
EditableBy = strawberry.enum(
    DomainEditableBy,
    name="EditableBy",
    description="ADMIN: only admins edit the segment. ASSIGNED: admins "
    "plus the users and teams linked to it.",
)
LinkType = strawberry.enum(DomainLinkType, name="LinkType")
Operator = strawberry.enum(
    DomainOperator,
    name="Operator",
    description="Criterion operators. IN/NOT_IN take a list; EXISTS/"
    "NOT_EXISTS take no value; CONTAINS is a case-insensitive "
    "substring on strings and element membership on badges.",
)
Role = strawberry.enum(DomainRole, name="Role")
ErrorCode = strawberry.enum(DomainErrorCode, name="ErrorCode")
UserStatus = strawberry.enum(
    DomainUserStatus,
    name="UserStatus",
    description="ADD forces membership, BLOCK forces non-membership (rules cannot add the user "
    "back), RESET removes the override and lets lists and rules decide.",
)
MembershipState = strawberry.enum(
    DomainMembershipState,
    name="MembershipState",
    description="Why a user is in a segment or not, by precedence BLOCK > ADD > list > rules.",
)


def _parse_timestamp(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ValueError("a Unix timestamp is a whole number of seconds")
    if not -(2**53) < value < 2**53:
        raise ValueError("the timestamp is out of range")
    return int(value)


UnixTimestamp = NewType("UnixTimestamp", int)

SCALAR_MAP = {
    UnixTimestamp: strawberry.scalar(
        name="UnixTimestamp",
        description="Whole seconds since 1970-01-01 UTC. Unlike Int, not limited to 32 bits "
        "(Int ends in 2038).",
        serialize=int,
        parse_value=_parse_timestamp,
    )
}

__all__ = [
    "JSON",
    "EditableBy",
    "ErrorCode",
    "LinkType",
    "MembershipState",
    "Operator",
    "Role",
    "SegmentType",
    "UserStatus",
]
