"""Boundary validation of segment input with pydantic; errors become Problems with paths."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from seg_graphql.domain.errors import ErrorCode, Problem, UserInputError
from seg_graphql.domain.models import EditableBy, LinkType, RulesDraft, SegmentType

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
TechnicalName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")]
Description = Annotated[str, StringConstraints(max_length=2_000)]
Url = Annotated[str, StringConstraints(max_length=2_048, pattern=r"^https?://[^\s]+$")]
ExternalId = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:@-]+$"
    ),
]


class _SegmentFields(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    description: Description | None = None
    url: Url | None = None
    team_id: ExternalId | None = Field(default=None, alias="teamId")
    rules: RulesDraft | None = None
    fql: Any = None
    match_all: bool | None = Field(default=None, alias="matchAll")


class SegmentCreate(_SegmentFields):
    name: Name
    technical_name: TechnicalName | None = Field(default=None, alias="technicalName")
    type: SegmentType = SegmentType.DYNAMIC
    is_default: bool = Field(default=False, alias="isDefault")
    editable_by: EditableBy = Field(default=EditableBy.ADMIN, alias="editableBy")


class SegmentUpdate(_SegmentFields):
    name: Name | None = None
    technical_name: TechnicalName | None = Field(default=None, alias="technicalName")
    is_default: bool | None = Field(default=None, alias="isDefault")
    editable_by: EditableBy | None = Field(default=None, alias="editableBy")


class LinkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    type: LinkType
    id: ExternalId


class SegmentListFilter(BaseModel):
    """A list filter is bounded like the values it is compared with: a name filter longer
    than any name would scan every segment only to match none."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: Annotated[str, StringConstraints(max_length=200)] | None = None
    team_id: ExternalId | None = Field(default=None, alias="teamId")


M = TypeVar("M", bound=BaseModel)

MAX_BATCH = 500  # items per batch mutation


def parse_batch(
    model: type[M],
    items: Sequence[Mapping[str, Any]],
    path_of: Callable[[int], tuple[str | int, ...]],
    *,
    noun: str,
    root: str,
) -> tuple[dict[int, M], list[Problem]]:
    """Validates each item on its own: valid ones by index, problems with each item's path."""
    if len(items) > MAX_BATCH:
        raise UserInputError.single(
            ErrorCode.LIMIT_EXCEEDED,
            f"at most {MAX_BATCH} {noun} per call (limit), got {len(items)}",
            (root,),
        )
    valid: dict[int, M] = {}
    problems: list[Problem] = []
    for index, item in enumerate(items):
        try:
            valid[index] = parse_model(model, item, path_of(index))
        except UserInputError as exc:
            problems.extend(exc.problems)
    return valid, problems


def parse_model(model: type[M], data: Mapping[str, Any], path: tuple[str, ...]) -> M:
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        raise UserInputError(
            [
                Problem(ErrorCode.BAD_USER_INPUT, error["msg"], (*path, *error["loc"]))
                for error in exc.errors()
            ]
        ) from None
