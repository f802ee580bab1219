"""A user as the services, the rules and the API see it: the profile and the user's explicit
state in each segment (its entries). store/users.py reads and writes it; no other layer sees
the stored document.

Built once per user read (a dataclass with slots, no validation: the store wrote what it
reads; entries converted when first asked for), so the membership check and the embedded
store's in-memory evaluation stay cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from seg_graphql.domain.membership import Entry
from seg_graphql.domain.rules import USER_ATTRIBUTE

# The profile attributes a rule can test. A stored profile may lack one (never given) or hold
# null (cleared): EXISTS tells the two apart, as MongoDB's $exists does, so `unset` names them.
RULE_ATTRIBUTES = tuple(USER_ATTRIBUTE.values())


@dataclass(frozen=True, slots=True)
class User:
    user_id: str
    email: str | None = None
    email_hash: str | None = None
    user_agent_id: str | None = None
    user_account_id: str | None = None
    compartment_id: str | None = None
    tier: str | None = None
    points: float | None = None
    xp: float | None = None
    coins: float | None = None
    badges: list[str] | None = None
    custom_fields: Mapping[str, Any] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    entries: Mapping[int, Entry] = field(default_factory=dict)  # by segment id
    unset: frozenset[str] = frozenset()  # RULE_ATTRIBUTES the profile never had

    @classmethod
    def created(cls, user_id: str, at: datetime, **identity: str | None) -> User:
        """A user a list write creates: its identifiers and creation time, nothing else."""
        return cls(
            user_id,
            created_at=at,
            unset=frozenset(RULE_ATTRIBUTES) - {"created_at"},
            **identity,
        )

    def entry(self, segment_id: int) -> Entry | None:
        return self.entries.get(segment_id)

    def with_entry(self, segment_id: int, entry: Entry) -> User:
        return replace(self, entries={**self.entries, segment_id: entry})
