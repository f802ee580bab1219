"""FQL: round trips with the rule AST, and injection attempts rejected with the bad path."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seg_graphql.domain.errors import UserInputError
from seg_graphql.domain.fql import parse_fql, rules_to_fql, rules_to_fql_text
from seg_graphql.domain.models import Criterion, Operator, Rules
from seg_graphql.domain.rules import MAX_EXCLUDE, MAX_INCLUDE, OPERATORS, field_kind


def test_seed_example_shape_parses():
    rules = parse_fql('[{"points": {"$in": [2986, 2987]}}]')
    assert rules.include == (Criterion("points", Operator.IN, [2986, 2987]),)


def test_shorthand_equality_and_multiple_operators_on_one_field():
    rules = parse_fql([{"tier": "gold", "points": {"$gte": 10, "$lt": 100}}])
    assert rules.include == (
        Criterion("tier", Operator.EQUALS, "gold"),
        Criterion("points", Operator.GTE, 10),
        Criterion("points", Operator.LT, 100),
    )


def test_and_groups_flatten_and_not_nor_become_exclusions():
    rules = parse_fql(
        [
            {"$and": [{"xp": {"$gt": 1}}, {"$and": [{"coins": {"$lt": 5}}]}]},
            {"$not": {"tier": {"$eq": "bronze"}}},
            {"$nor": [{"badges": {"$contains": "test"}}, {"email": {"$exists": False}}]},
        ]
    )
    assert rules.include == (Criterion("xp", Operator.GT, 1), Criterion("coins", Operator.LT, 5))
    assert rules.exclude == (
        Criterion("tier", Operator.EQUALS, "bronze"),
        Criterion("badges", Operator.CONTAINS, "test"),
        Criterion("email", Operator.NOT_EXISTS, None),
    )


def test_output_is_compact_json_text():
    rules = Rules(
        include=(Criterion("xp", Operator.EXISTS),),
        exclude=(Criterion("tier", Operator.IN, ["a"]),),
    )
    assert rules_to_fql_text(rules) == '[{"xp":{"$exists":true}},{"$nor":[{"tier":{"$in":["a"]}}]}]'


_VALUES = {
    "string": st.text(alphabet="abcXYZ@. ", max_size=8),
    "number": st.integers(min_value=-1000, max_value=1000),
    "date": st.sampled_from(["2024-01-01T00:00:00Z", "2025-06-30T12:30:00Z"]),
}


@st.composite
def criteria(draw):
    field = draw(
        st.sampled_from(
            [
                "tier",
                "email",
                "points",
                "xp",
                "badges",
                "createdAt",
                "customFields.plan",
                "customFields.score",
            ]
        )
    )
    kind = field_kind(field)
    operator = draw(st.sampled_from(sorted(OPERATORS[kind], key=lambda o: o.value)))
    if operator in (Operator.EXISTS, Operator.NOT_EXISTS):
        return Criterion(field, operator, None)
    base = {
        "points": "number",
        "xp": "number",
        "customFields.score": "number",
        "createdAt": "date",
    }.get(field, "string")
    if operator in (Operator.GT, Operator.GTE, Operator.LT, Operator.LTE) and base == "string":
        base = "number"
    if operator in (Operator.CONTAINS, Operator.NOT_CONTAINS):
        base = "string"
    values = _VALUES[base]
    if operator in (Operator.IN, Operator.NOT_IN):
        return Criterion(field, operator, draw(st.lists(values, min_size=1, max_size=3)))
    return Criterion(field, operator, draw(values))


@given(
    include=st.lists(criteria(), max_size=MAX_INCLUDE),
    exclude=st.lists(criteria(), max_size=MAX_EXCLUDE),
)
@settings(max_examples=300, deadline=None)
def test_rules_to_fql_to_rules_round_trips(include, exclude):
    rules = Rules(include=tuple(include), exclude=tuple(exclude))
    assert parse_fql(rules_to_fql_text(rules)) == rules
    assert parse_fql(rules_to_fql(rules)) == rules


INJECTIONS = [
    ('[{"$where": "sleep(1000)"}]', "fql.0.$where"),
    ('[{"$function": {"body": "return 1", "args": [], "lang": "js"}}]', "fql.0.$function"),
    ('[{"$expr": {"$gt": ["$points", 1]}}]', "fql.0.$expr"),
    ('[{"email": {"$regex": ".*"}}]', "fql.0.email.$regex"),
    ('[{"email": {"$regex": "^a", "$options": "i"}}]', "fql.0.email.$regex"),
    ('[{"points": {"$where": "1"}}]', "fql.0.points.$where"),
    ('[{"points": {"$gt": {"$where": "1"}}}]', "fql.0.points.$gt"),
    ('[{"points": {"$in": [{"$gt": 1}]}}]', "fql.0.points.$in"),
    ('[{"points": {"$elemMatch": {"$gt": 1}}}]', "fql.0.points.$elemMatch"),
    ('[{"$or": [{"points": 1}]}]', "fql.0.$or"),
    ('[{"$text": {"$search": "x"}}]', "fql.0.$text"),
    ('[{"$jsonSchema": {}}]', "fql.0.$jsonSchema"),
    ('[{"$comment": "x"}]', "fql.0.$comment"),
    ('[{"email.$ne": 1}]', "fql.0.email.$ne"),
    ('[{"$where": "1", "points": {"$gt": 1}}]', "fql.0.$where"),
    ('[{"customFields.$gt": 1}]', "fql.0.customFields.$gt"),
    ('[{"tier": {"level": "gold"}}]', "fql.0.tier.level"),
    ('[{"tier": ["gold"]}]', "fql.0.tier"),
    ('[{"points": {"$gt": NaN}}]', "fql"),
    ('[{"points": {"$gt": Infinity}}]', "fql"),
    ("[{'Form': {'$in': [2986, 2987]}}]", "fql"),
    ('[{"__proto__": {"$eq": 1}}]', "fql.0.__proto__.$eq"),
    ('[{"password": {"$exists": true}}]', "fql.0.password.$exists"),
    ('[{"$not": {"$where": "1"}}]', "fql.0.$not.$where"),
    ('[{"$nor": [{"$expr": {}}]}]', "fql.0.$nor.0.$expr"),
    (
        '[{"$and": [{"$and": [{"$and": [{"$and": [{"$and": [{"xp": 1}]}]}]}]}]}]',
        "fql.0.$and.0.$and.0.$and.0.$and.0",
    ),
    ('[{"$not": {"xp": {"$gt": 1, "$lt": 3}}}]', "fql.0.$not"),
    ('[{"tier": {"$eq": "gold", "$function": "x"}}]', "fql.0.tier.$function"),
    ('{"$where": "1"}', "fql.0.$where"),
    ('"just a string"', "fql"),
    ("[1, 2]", "fql.0"),
    ("[{}]", "fql.0"),
    ('[{"x\\u0000": {"$eq": 1}}]', "fql.0.x\x00"),
    ('[{"points": {"$exists": "yes"}}]', "fql.0.points.$exists"),
]


@pytest.mark.parametrize(("source", "path"), INJECTIONS)
def test_injection_attempts_are_rejected_with_their_path(source, path):
    with pytest.raises(UserInputError) as caught:
        parse_fql(source)
    fields = [p.field for p in caught.value.problems]
    assert path in fields, fields
    assert all(p.code.value in ("BAD_USER_INPUT", "LIMIT_EXCEEDED") for p in caught.value.problems)


def test_at_least_twenty_injection_cases():
    assert len(INJECTIONS) >= 20


def test_oversized_fql_is_a_limit():
    with pytest.raises(UserInputError) as caught:
        parse_fql(json.dumps([{"tier": {"$eq": "x" * 70_000}}]))
    assert caught.value.problems[0].code.value == "LIMIT_EXCEEDED"


def test_value_problems_point_at_the_fql_key():
    with pytest.raises(UserInputError) as caught:
        parse_fql([{"tier": "gold"}, {"points": {"$gt": "many"}}])
    assert [p.field for p in caught.value.problems] == ["fql.1.points.$gt"]


def test_too_many_criteria_via_fql():
    with pytest.raises(UserInputError) as caught:
        parse_fql([{"xp": {"$gt": i}} for i in range(21)])
    assert caught.value.problems[0].code.value == "LIMIT_EXCEEDED"
