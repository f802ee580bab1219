"""The rule compiler (rules -> one MongoDB filter) and validator, operator by operator."""

from __future__ import annotations

from datetime import datetime

import pytest

from seg_graphql.domain.errors import UserInputError
from seg_graphql.domain.models import Criterion, CriterionDraft, Operator, Rules, RulesDraft
from seg_graphql.domain.rules import validate_criterion, validate_rules
from seg_graphql.store.filters import compile_criterion, compile_rules

O = Operator


def crit(field, operator, value=None):
    return validate_criterion(CriterionDraft(field, operator, value), ())


def draft(raw):
    return CriterionDraft(raw.get("field"), Operator(raw["operator"]), raw.get("value"))


@pytest.mark.parametrize(
    ("field", "operator", "value", "expected"),
    [
        ("tier", O.EQUALS, "gold", {"tier": "gold"}),
        ("tier", O.NOT_EQUALS, "gold", {"tier": {"$ne": "gold"}}),
        ("tier", O.IN, ["gold", "platinum"], {"tier": {"$in": ["gold", "platinum"]}}),
        ("tier", O.NOT_IN, ["bronze"], {"tier": {"$nin": ["bronze"]}}),
        ("email", O.CONTAINS, "@acme.io", {"email": {"$regex": "@acme\\.io", "$options": "i"}}),
        (
            "email",
            O.NOT_CONTAINS,
            "test+",
            {"$nor": [{"email": {"$regex": "test\\+", "$options": "i"}}]},
        ),
        ("email", O.EXISTS, None, {"email": {"$exists": True}}),
        ("email", O.NOT_EXISTS, None, {"email": {"$exists": False}}),
        ("points", O.GT, 100, {"points": {"$gt": 100}}),
        ("points", O.GTE, 100, {"points": {"$gte": 100}}),
        ("xp", O.LT, 5.5, {"xp": {"$lt": 5.5}}),
        ("coins", O.LTE, 0, {"coins": {"$lte": 0}}),
        ("coins", O.EQUALS, 3, {"coins": 3}),
        ("coins", O.IN, [1, 2], {"coins": {"$in": [1, 2]}}),
        ("badges", O.CONTAINS, "early", {"badges": "early"}),
        ("badges", O.NOT_CONTAINS, "banned", {"$nor": [{"badges": "banned"}]}),
        ("badges", O.IN, ["a", "b"], {"badges": {"$in": ["a", "b"]}}),
        ("badges", O.NOT_IN, ["a"], {"badges": {"$nin": ["a"]}}),
        ("badges", O.EXISTS, None, {"badges": {"$exists": True}}),
        ("createdAt", O.GTE, "2024-01-01T00:00:00Z", {"createdAt": {"$gte": datetime(2024, 1, 1)}}),
        (
            "updatedAt",
            O.LT,
            "2024-06-01T02:00:00+02:00",
            {"updatedAt": {"$lt": datetime(2024, 6, 1)}},
        ),
        ("updatedAt", O.EQUALS, "2024-06-01", {"updatedAt": datetime(2024, 6, 1)}),
        ("customFields.vip", O.EQUALS, True, {"customFields.vip": True}),
        (
            "customFields.plan",
            O.CONTAINS,
            "pro",
            {"customFields.plan": {"$regex": "pro", "$options": "i"}},
        ),
        ("customFields.score", O.GT, 3, {"customFields.score": {"$gt": 3}}),
        ("customFields.region", O.NOT_EXISTS, None, {"customFields.region": {"$exists": False}}),
    ],
)
def test_compile_each_operator(field, operator, value, expected):
    assert compile_criterion(crit(field, operator, value)) == expected


def test_segment_criteria_compile_through_the_segment_filter():
    def member_of(segment_id):
        return {"m": segment_id}

    assert compile_criterion(crit("segment", O.EQUALS, "4"), member_of) == {"m": 4}
    assert compile_criterion(crit("segment", O.NOT_EQUALS, 4), member_of) == {"$nor": [{"m": 4}]}
    assert compile_criterion(crit("segment", O.IN, [1, 2]), member_of) == {
        "$or": [{"m": 1}, {"m": 2}]
    }
    assert compile_criterion(crit("segment", O.NOT_IN, [1, 2]), member_of) == {
        "$nor": [{"m": 1}, {"m": 2}]
    }


def test_include_and_exclude_compile_to_one_filter():
    rules = Rules(
        include=(Criterion("tier", O.EQUALS, "gold"), Criterion("points", O.GTE, 10)),
        exclude=(
            Criterion("badges", O.CONTAINS, "test"),
            Criterion("customFields.banned", O.EQUALS, True),
        ),
    )
    assert compile_rules(rules) == {
        "$and": [
            {"tier": "gold"},
            {"points": {"$gte": 10}},
            {"$nor": [{"badges": "test"}, {"customFields.banned": True}]},
        ]
    }


def test_empty_rules_match_everyone():
    assert compile_rules(Rules()) == {}


def test_single_criterion_is_not_wrapped():
    assert compile_rules(Rules(include=(Criterion("xp", O.GT, 1),))) == {"xp": {"$gt": 1}}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"field": "password", "operator": "EQUALS", "value": 1}, "unknown field 'password'"),
        ({"field": "customFields.a.b", "operator": "EQUALS", "value": 1}, "unknown field"),
        ({"field": "customFields.$where", "operator": "EQUALS", "value": 1}, "unknown field"),
        ({"field": "tier", "operator": "GT", "value": "a"}, "operator GT does not apply to tier"),
        ({"field": "badges", "operator": "EQUALS", "value": "a"}, "does not apply to badges"),
        ({"field": "points", "operator": "GT", "value": "1"}, "expected a number, got a string"),
        ({"field": "points", "operator": "GT", "value": True}, "expected a number, got a boolean"),
        ({"field": "points", "operator": "GT", "value": 10**20}, "numbers must lie within"),
        ({"field": "points", "operator": "IN", "value": 5}, "IN needs a non-empty list"),
        ({"field": "points", "operator": "IN", "value": []}, "IN needs a non-empty list"),
        ({"field": "points", "operator": "IN", "value": list(range(501))}, "at most 500 values"),
        ({"field": "points", "operator": "EQUALS", "value": [1]}, "single value, not a list"),
        ({"field": "points", "operator": "EQUALS"}, "EQUALS needs a value"),
        ({"field": "points", "operator": "EXISTS", "value": 3}, "EXISTS takes no value"),
        ({"field": "tier", "operator": "EQUALS", "value": {"$ne": 1}}, "objects are not allowed"),
        (
            {"field": "tier", "operator": "EQUALS", "value": "x" * 1001},
            "limited to 1000 characters",
        ),
        (
            {"field": "createdAt", "operator": "GT", "value": "yesterday"},
            "not an ISO 8601 date-time",
        ),
        ({"field": "createdAt", "operator": "GT", "value": 1700000000}, "expected an ISO 8601"),
        ({"field": "segment", "operator": "EQUALS", "value": "abc"}, "expected a segment id"),
        ({"field": "segment", "operator": "EQUALS", "value": -1}, "expected a segment id"),
        ({"field": "segment", "operator": "CONTAINS", "value": 1}, "does not apply to segment"),
        ({"operator": "EQUALS", "value": 1}, "field is required"),
    ],
)
def test_invalid_criteria_are_rejected(raw, message):
    with pytest.raises(UserInputError) as caught:
        validate_criterion(draft(raw), ("rules", "include", 0))
    problem = caught.value.problems[0]
    assert message in problem.message
    assert problem.path[:3] == ("rules", "include", 0)


def test_nan_is_rejected():
    with pytest.raises(UserInputError):
        validate_criterion(CriterionDraft("xp", O.GT, float("nan")), ())


def test_dates_are_normalised_to_utc():
    c = crit("createdAt", O.GT, "2024-03-01T12:00:00+01:00")
    assert c.value == "2024-03-01T11:00:00Z"


def test_all_problems_are_reported_at_once():
    with pytest.raises(UserInputError) as caught:
        validate_rules(
            RulesDraft(
                include=(CriterionDraft("x", O.EQUALS, 1), CriterionDraft("tier", O.EQUALS, 1))
            )
        )
    assert [p.field for p in caught.value.problems] == [
        "rules.include.0.field",
        "rules.include.1.value",
    ]
