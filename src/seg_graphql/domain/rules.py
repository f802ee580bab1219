"""Segment rules: validation of criteria and in-memory evaluation (store/filters.py compiles
them into one MongoDB filter, with the same semantics).

The compiler and the evaluator share one semantics, MongoDB's: a criterion on an array
field matches when any element matches, NOT_EQUALS / NOT_IN / NOT_CONTAINS match a missing
field, comparisons only match values of the same kind (numbers with numbers, dates with
dates). Values are checked here, so user JSON never reaches MongoDB unchecked: every
operator comes from a fixed table and every string goes into `$regex` escaped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from seg_graphql.domain.errors import ErrorCode, Problem, UserInputError
from seg_graphql.domain.identifiers import parse_numeric_id
from seg_graphql.domain.models import Criterion, CriterionDraft, Operator, Rules, RulesDraft
from seg_graphql.domain.times import aware_utc, parse_utc

if TYPE_CHECKING:
    from seg_graphql.domain.user import User

MAX_INCLUDE = 20  # loyalty seed: "Criteria per segment 20"
MAX_EXCLUDE = 20  # loyalty seed: "Exclude criteria per segment 20"
MAX_LIST_VALUES = 500
MAX_STRING = 1_000
MAX_NUMBER = 1e15  # beyond this a float no longer holds every integer exactly

_CUSTOM_FIELD = re.compile(r"^customFields\.([A-Za-z_][A-Za-z0-9_-]{0,63})$")


class Kind(Enum):
    STRING = "a string"
    NUMBER = "a number"
    DATE = "an ISO 8601 date-time"
    ARRAY = "a string (array element)"
    SCALAR = "a string, number or boolean"
    SEGMENT = "a segment id"


FIELDS: dict[str, Kind] = {
    "tier": Kind.STRING,
    "email": Kind.STRING,
    "points": Kind.NUMBER,
    "xp": Kind.NUMBER,
    "coins": Kind.NUMBER,
    "badges": Kind.ARRAY,
    "createdAt": Kind.DATE,
    "updatedAt": Kind.DATE,
    "segment": Kind.SEGMENT,
}

_O = Operator
_EQUALITY = {_O.EQUALS, _O.NOT_EQUALS, _O.IN, _O.NOT_IN}
_PRESENCE = {_O.EXISTS, _O.NOT_EXISTS}
_ORDER = {_O.GT, _O.GTE, _O.LT, _O.LTE}
_TEXT = {_O.CONTAINS, _O.NOT_CONTAINS}

OPERATORS: dict[Kind, set[Operator]] = {
    Kind.STRING: _EQUALITY | _PRESENCE | _TEXT,
    Kind.NUMBER: _EQUALITY | _PRESENCE | _ORDER,
    Kind.DATE: {_O.EQUALS, _O.NOT_EQUALS} | _PRESENCE | _ORDER,
    Kind.ARRAY: {_O.IN, _O.NOT_IN} | _PRESENCE | _TEXT,
    Kind.SCALAR: set(Operator),
    Kind.SEGMENT: set(_EQUALITY),
}


def field_kind(name: str) -> Kind | None:
    if name in FIELDS:
        return FIELDS[name]
    if _CUSTOM_FIELD.match(name):
        return Kind.SCALAR
    return None


# ---------------------------------------------------------------- validation


def validate_rules(draft: RulesDraft, path: tuple[str | int, ...] = ("rules",)) -> Rules:
    """Checks the criteria as given and returns normalised Rules: the one validation of
    rules, whether they come from the API's typed input or from FQL."""
    include, exclude = draft.include, draft.exclude
    problems = [
        Problem(
            ErrorCode.LIMIT_EXCEEDED,
            f"a segment takes at most {limit} {clause} criteria (limit), got {len(given)}",
            (*path, clause),
        )
        for clause, given, limit in (
            ("include", include, MAX_INCLUDE),
            ("exclude", exclude, MAX_EXCLUDE),
        )
        if len(given) > limit
    ]
    if problems:
        raise UserInputError(problems)
    parsed: dict[str, list[Criterion]] = {"include": [], "exclude": []}
    for clause, raw in (("include", include), ("exclude", exclude)):
        for index, item in enumerate(raw):
            try:
                parsed[clause].append(validate_criterion(item, (*path, clause, index)))
            except UserInputError as exc:
                problems.extend(exc.problems)
    if problems:
        raise UserInputError(problems)
    return Rules(include=tuple(parsed["include"]), exclude=tuple(parsed["exclude"]))


def validate_criterion(draft: CriterionDraft, path: tuple[str | int, ...]) -> Criterion:
    def fail(message: str, leaf: str) -> UserInputError:
        return UserInputError.single(ErrorCode.BAD_USER_INPUT, message, (*path, leaf))

    field = draft.field
    if not isinstance(field, str) or not field:
        raise fail("field is required and must be a string", "field")
    kind = field_kind(field)
    if kind is None:
        known = ", ".join(FIELDS)
        raise fail(
            f"unknown field '{_clip(field)}'; use one of {known} or customFields.<name>", "field"
        )
    operator = draft.operator
    if operator not in OPERATORS[kind]:
        allowed = ", ".join(sorted(o.value for o in OPERATORS[kind]))
        raise fail(
            f"operator {operator.value} does not apply to {field}; use one of {allowed}", "operator"
        )
    try:
        normalised = _validate_value(kind, operator, draft.value)
    except ValueError as exc:
        raise fail(str(exc), "value") from None
    return Criterion(field, operator, normalised)


def _validate_value(kind: Kind, operator: Operator, value: Any) -> Any:
    if operator in _PRESENCE:
        if value not in (None, True):
            raise ValueError(f"{operator.value} takes no value")
        return None
    if value is None:
        raise ValueError(f"{operator.value} needs a value")
    if operator in (_O.IN, _O.NOT_IN):
        if not isinstance(value, list) or not value:
            raise ValueError(f"{operator.value} needs a non-empty list")
        if len(value) > MAX_LIST_VALUES:
            raise ValueError(f"{operator.value} takes at most {MAX_LIST_VALUES} values")
        return [_validate_scalar(kind, operator, item) for item in value]
    if isinstance(value, list):
        raise ValueError(f"{operator.value} takes a single value, not a list")
    return _validate_scalar(kind, operator, value)


def _validate_scalar(kind: Kind, operator: Operator, value: Any) -> Any:
    if isinstance(value, dict):
        raise ValueError("values must be scalars; objects are not allowed")
    if operator in _TEXT:
        return _string(value)
    if operator in _ORDER and kind is Kind.SCALAR:
        return _number(value)
    match kind:
        case Kind.STRING | Kind.ARRAY:
            return _string(value)
        case Kind.NUMBER:
            return _number(value)
        case Kind.DATE:
            return _date(value)
        case Kind.SEGMENT:
            return _segment_id(value)
        case Kind.SCALAR:
            if isinstance(value, bool):
                return value
            if isinstance(value, int | float):
                return _number(value)
            return _string(value)


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {_type_name(value)}")
    if len(value) > MAX_STRING:
        raise ValueError(f"strings are limited to {MAX_STRING} characters")
    return value


def _number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, got {_type_name(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("numbers must be finite")
    if abs(value) > MAX_NUMBER:
        raise ValueError(f"numbers must lie within ±{MAX_NUMBER:.0e}")
    return value


def _date(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO 8601 date-time string, got {_type_name(value)}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"'{_clip(value)}' is not an ISO 8601 date-time") from None
    return aware_utc(parsed).isoformat().replace("+00:00", "Z")


def _segment_id(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("expected a segment id")
    if isinstance(value, str):
        value = parse_numeric_id(value)
    if not isinstance(value, int) or not 0 < value < 2**53:
        raise ValueError("expected a segment id (a positive integer)")
    return value


def _type_name(value: Any) -> str:
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[:width] + "..."


def criterion_value(kind: Kind | None, value: Any) -> Any:
    """A criterion's value as a user's values compare with it: dates as aware UTC datetimes."""
    if kind is Kind.DATE and value is not None:
        if isinstance(value, list):
            return [parse_utc(v) for v in value]
        return parse_utc(value)
    return value


# ---------------------------------------------------------------- evaluation

IsMember = Callable[[int], bool]


def evaluate_rules(rules: Rules, user: User, is_member: IsMember | None = None) -> bool:
    """True when the user matches all include criteria and none of the exclude ones."""
    return all(evaluate_criterion(c, user, is_member) for c in rules.include) and not any(
        evaluate_criterion(c, user, is_member) for c in rules.exclude
    )


_MISSING = object()


def evaluate_criterion(c: Criterion, user: User, is_member: IsMember | None = None) -> bool:
    if c.field == "segment":
        if is_member is None:
            raise ValueError("segment criteria need a membership check")
        ids = c.value if isinstance(c.value, list) else [c.value]
        hit = any(is_member(int(i)) for i in ids)
        return hit if c.operator in (_O.EQUALS, _O.IN) else not hit
    kind = field_kind(c.field)
    actual = _lookup(user, c.field)
    value = criterion_value(kind, c.value)
    match c.operator:
        case _O.EXISTS:
            return actual is not _MISSING
        case _O.NOT_EXISTS:
            return actual is _MISSING
        case _O.EQUALS:
            return _any(actual, lambda v: _same(v, value))
        case _O.NOT_EQUALS:
            return not _any(actual, lambda v: _same(v, value))
        case _O.IN:
            return _any(actual, lambda v: any(_same(v, x) for x in value))
        case _O.NOT_IN:
            return not _any(actual, lambda v: any(_same(v, x) for x in value))
        case _O.GT | _O.GTE | _O.LT | _O.LTE:
            return _any(actual, lambda v: _ordered(c.operator, v, value))
        case _O.CONTAINS:
            return _any(actual, _text_matcher(kind, value))
        case _O.NOT_CONTAINS:
            return not _any(actual, _text_matcher(kind, value))
    raise AssertionError(c.operator)


# A rule's field -> the User attribute it tests (customFields.<name>: one of the custom
# fields). The compiled filter reads the stored field of the same name, so store/users.py
# must read that field into this attribute (tests/unit/test_rule_attributes.py holds them).
USER_ATTRIBUTE = {
    "tier": "tier",
    "email": "email",
    "points": "points",
    "xp": "xp",
    "coins": "coins",
    "badges": "badges",
    "createdAt": "created_at",
    "updatedAt": "updated_at",
    "customFields": "custom_fields",
}


def _lookup(user: User, field: str) -> Any:
    top, _, custom = field.partition(".")
    attribute = USER_ATTRIBUTE[top]
    if attribute in user.unset:
        return _MISSING
    value = getattr(user, attribute)
    if not custom:
        return value
    if not isinstance(value, Mapping) or custom not in value:
        return _MISSING
    return value[custom]


def _any(actual: Any, test: Callable[[Any], bool]) -> bool:
    if actual is _MISSING:
        return False
    if isinstance(actual, list):
        return any(test(v) for v in actual)
    return test(actual)


def _bracket(value: Any) -> str:
    # MongoDB compares values only within one type bracket; bool is not a number there.
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, datetime):
        return "date"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


def _same(a: Any, b: Any) -> bool:
    # Equality first: most values differ, and it is much cheaper than the brackets.
    return a == b and _bracket(a) == _bracket(b)


def _ordered(op: Operator, a: Any, b: Any) -> bool:
    if _bracket(a) != _bracket(b) or _bracket(a) not in ("number", "date", "string"):
        return False
    match op:
        case _O.GT:
            return a > b
        case _O.GTE:
            return a >= b
        case _O.LT:
            return a < b
        case _:
            return a <= b


def _text_matcher(kind: Kind | None, needle: str) -> Callable[[Any], bool]:
    if kind is Kind.ARRAY:
        return lambda v: _same(v, needle)
    folded = needle.casefold()
    return lambda v: isinstance(v, str) and folded in v.casefold()
