"""A rule's field, the User attribute the in-memory evaluator tests, and the stored field the
compiled filter reads are three names for one thing, kept in three modules (domain/rules.py,
domain/user.py, store/users.py). A field added to one and not the others breaks the
evaluator (an unknown attribute: an internal error) or makes it disagree with the database
(a field the store never reads is always "missing" in memory); these tests say which."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from seg_graphql.domain.rules import FIELDS, USER_ATTRIBUTE, Kind, field_kind
from seg_graphql.domain.user import User
from seg_graphql.store.users import user_of

# Rule fields that test the profile (segment criteria test memberships instead).
PROFILE_RULE_FIELDS = {*FIELDS, "customFields"} - {"segment"}


def test_each_rule_field_names_a_user_attribute():
    assert set(USER_ATTRIBUTE) == PROFILE_RULE_FIELDS
    attributes = {f.name for f in dataclasses.fields(User)}
    assert set(USER_ATTRIBUTE.values()) <= attributes


def _sample(field: str) -> object:
    if field_kind(field) is Kind.DATE:
        return datetime(2024, 5, 6, 7, 8, 9, 123000)  # as the driver gives it: naive UTC
    if field == "customFields":
        return {"plan": "pro"}
    if field_kind(field) is Kind.ARRAY:
        return ["vip"]
    return f"{field}-value"


@pytest.mark.parametrize("field", sorted(PROFILE_RULE_FIELDS))
def test_the_store_reads_each_rule_field_into_its_attribute(field):
    attribute = USER_ATTRIBUTE[field]
    value = _sample(field)
    given = user_of({"userId": "u1", field: value})
    expected = value.replace(tzinfo=UTC) if isinstance(value, datetime) else value
    assert getattr(given, attribute) == expected
    assert attribute not in given.unset
    cleared = user_of({"userId": "u1", field: None})
    assert getattr(cleared, attribute) is None and attribute not in cleared.unset
    assert attribute in user_of({"userId": "u1"}).unset  # never given: NOT_EXISTS holds
