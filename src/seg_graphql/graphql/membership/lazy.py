"""The membership types as Segment and User name them.

Membership, MembershipEvent and MemberConnection point back at Segment and User (a true type
cycle: Segment.members -> User.segments -> Segment, User.history -> MembershipEvent.user ->
User), so segments/ and users/ cannot import them: they name them through these references,
in annotations (`strawberry.lazy`) and, at run time, through `resolved`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, get_args

import strawberry

if TYPE_CHECKING:
    from seg_graphql.graphql.membership.types import (
        MemberConnection,
        Membership,
        MembershipEventConnection,
    )

_TYPES = strawberry.lazy("seg_graphql.graphql.membership.types")

MembershipRef = Annotated["Membership", _TYPES]
MemberConnectionRef = Annotated["MemberConnection", _TYPES]
MembershipEventConnectionRef = Annotated["MembershipEventConnection", _TYPES]


def resolved(reference: Any) -> Any:
    """The class a reference names (importing the membership types, long since loaded)."""
    name, lazy = get_args(reference)
    return lazy.resolve_forward_ref(name).resolve_type()
