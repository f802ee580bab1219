"""Segment inputs (converted with arguments.to_data for the services to validate)."""

from __future__ import annotations

import strawberry

from seg_graphql.domain.models import CriterionDraft, RulesDraft
from seg_graphql.graphql.arguments import optional_field
from seg_graphql.graphql.scalars import JSON, EditableBy, LinkType, Operator, SegmentType


@strawberry.input(
    description="One condition: {field, operator, value}. Fields: tier, points, "
    "xp, coins, badges, email, createdAt, updatedAt, "
    "customFields.<name>, segment."
)
class CriterionInput:
    field: str = strawberry.field(
        description="The profile field, or segment (value: a segment id)."
    )
    operator: Operator = strawberry.field(description="How the field is compared with the value.")
    value: JSON | None = strawberry.field(
        default=None,
        description="A JSON value; a list for IN/NOT_IN; omitted for EXISTS/NOT_EXISTS.",
    )


@strawberry.input(description="Dynamic rules: users matching ALL include and NONE of exclude.")
class RulesInput:
    include: list[CriterionInput] = strawberry.field(
        default_factory=list, description="All must match (at most 20)."
    )
    exclude: list[CriterionInput] = strawberry.field(
        default_factory=list, description="None may match (at most 20)."
    )

    def to_domain(self) -> RulesDraft:
        """The rules as given, typed (validate_rules checks them once, in the service)."""
        return RulesDraft(
            include=tuple(CriterionDraft(c.field, c.operator, c.value) for c in self.include),
            exclude=tuple(CriterionDraft(c.field, c.operator, c.value) for c in self.exclude),
        )


_MATCH_ALL = (
    "A DYNAMIC segment selects users by its rules or fql; one without any criteria would "
    "select every user of the tenant, so it is only created when asked for explicitly: "
    "matchAll: true, with no rules and no fql. Without criteria and without matchAll: "
    "BAD_USER_INPUT on input.rules (or input.fql). Not for STATIC segments (they hold a list)."
)


@strawberry.input(
    description="A DYNAMIC segment (the default) needs rules or fql, or matchAll: true to "
    "select every user; a STATIC segment holds a list of users (addSegmentUsers, imports)."
)
class CreateSegmentInput:
    name: str = strawberry.field(description="Display name.")
    technical_name: str | None = optional_field(
        "Unique per tenant; default segment-<id>. Imports may name the segment by it."
    )
    description: str | None = optional_field("Free text for people.")
    type: SegmentType = strawberry.field(
        default=SegmentType.DYNAMIC, description="STATIC (a list) or DYNAMIC (rules)."
    )
    rules: RulesInput | None = optional_field("Give rules or fql, not both.")
    fql: JSON | None = optional_field(
        'FQL as JSON or JSON text: [{"points": {"$gte": 100}}]. Operators: $eq $ne '
        "$in $nin $gt $gte $lt $lte $exists $contains $ncontains; groups $and, "
        "$nor / $not (exclusions)."
    )
    match_all: bool | None = optional_field(_MATCH_ALL)
    url: str | None = optional_field("Informational only; never evaluated.")
    team_id: strawberry.ID | None = optional_field("The owning team.")
    is_default: bool = strawberry.field(
        default=False, description="Marks a default segment; informational."
    )
    editable_by: EditableBy = strawberry.field(
        default=EditableBy.ADMIN, description="Who may change it; default ADMIN."
    )


@strawberry.input(
    description="Only the fields given change; null clears description, url and teamId."
)
class UpdateSegmentInput:
    name: str | None = optional_field("Display name.")
    technical_name: str | None = optional_field("Unique per tenant.")
    description: str | None = optional_field("Free text; null clears it.")
    rules: RulesInput | None = optional_field("Replaces the rules; give rules or fql, not both.")
    fql: JSON | None = optional_field("Replaces the rules, as FQL (see createSegment).")
    match_all: bool | None = optional_field(
        "true: the segment selects every user (its rules are cleared); false "
        "requires rules or fql. Rules or fql that end up empty need matchAll: true."
    )
    url: str | None = optional_field("Informational; null clears it.")
    team_id: strawberry.ID | None = optional_field("The owning team; null clears it.")
    is_default: bool | None = optional_field("Marks a default segment.")
    editable_by: EditableBy | None = optional_field("Who may change it.")


@strawberry.input(description="A team or user to link to a segment.")
class SegmentLinkInput:
    type: LinkType = strawberry.field(description="TEAM or USER.")
    id: strawberry.ID = strawberry.field(
        description="USER: the userId of a user of this tenant (NOT_FOUND otherwise). TEAM: "
        "a team id, checked for its shape only (there is no team directory): letters, digits "
        "and _ . : @ -, at most 64."
    )


@strawberry.input(description="Narrows a segment list; given fields must all match.")
class SegmentFilter:
    name: str | None = strawberry.field(
        default=None, description="Case-insensitive substring of the name."
    )
    type: SegmentType | None = strawberry.field(default=None, description="Only this type.")
    team_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this team's segments."
    )
