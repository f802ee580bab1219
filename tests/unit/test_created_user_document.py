"""A user that a list write creates is stored as an upsert would store it: an email given at
creation is found by email too (lookups read the lower-cased copy)."""

from datetime import UTC, datetime

from seg_graphql.domain.user import User
from seg_graphql.store.users import _created


def test_a_created_users_email_is_stored_with_its_lookup_copy():
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    doc = _created(User.created("u1", at, email="Ann@Example.com", email_hash="h1"))
    assert doc == {
        "userId": "u1",
        "email": "Ann@Example.com",
        "emailLower": "ann@example.com",
        "emailHash": "h1",
        "createdAt": datetime(2026, 1, 2, 3, 4, 5),
    }


def test_a_created_user_without_email_has_no_email_fields():
    at = datetime(2026, 1, 2, tzinfo=UTC)
    assert _created(User.created("u2", at, user_agent_id="ua")) == {
        "userId": "u2",
        "userAgentId": "ua",
        "createdAt": datetime(2026, 1, 2),
    }
