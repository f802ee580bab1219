"""User profiles (the audience) and how a user argument is resolved to one user.

Resolution is deterministic: a value containing '@' is looked up as an email first
(case-insensitive), then as a userId; any other value is a userId. Import identifiers
(user_account_id + compartment_id, email_hash, user_agent_id) are resolved in that order.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from seg_graphql.domain.json_values import check_json_shape

MAX_BADGES = 100
MAX_CUSTOM_FIELDS = 50
MAX_NUMBER = 1e15

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")

Identifier = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=128, pattern=r"^[^\s$\x00]+$"
    ),
]
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        max_length=254,
        pattern=r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+$",
    ),
]
ShortText = Annotated[str, StringConstraints(max_length=64)]
Badge = Annotated[str, StringConstraints(min_length=1, max_length=64)]

PROFILE_FIELDS = (
    "email",
    "emailHash",
    "userAgentId",
    "userAccountId",
    "compartmentId",
    "tier",
    "points",
    "xp",
    "coins",
    "badges",
    "customFields",
    "createdAt",
)


class UserProfile(BaseModel):
    """One upsert: fields given are set, fields given as null are cleared, others are kept."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user_id: Identifier = Field(alias="userId")
    email: Email | None = None
    email_hash: Identifier | None = Field(default=None, alias="emailHash")
    user_agent_id: Identifier | None = Field(default=None, alias="userAgentId")
    user_account_id: Identifier | None = Field(default=None, alias="userAccountId")
    compartment_id: Identifier | None = Field(default=None, alias="compartmentId")
    tier: ShortText | None = None
    points: float | None = None
    xp: float | None = None
    coins: float | None = None
    badges: list[Badge] | None = Field(default=None, max_length=MAX_BADGES)
    custom_fields: dict[str, Any] | None = Field(default=None, alias="customFields")
    created_at: datetime | None = Field(default=None, alias="createdAt")

    @field_validator("points", "xp", "coins")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and (not math.isfinite(value) or abs(value) > MAX_NUMBER):
            raise ValueError(f"must be a finite number within ±{MAX_NUMBER:.0e}")
        if value is not None and float(value).is_integer():
            return int(value)  # keep integers integers: 10 and 10.0 compare equal in MongoDB
        return value

    @field_validator("custom_fields")
    @classmethod
    def _custom(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return None
        if len(value) > MAX_CUSTOM_FIELDS:
            raise ValueError(f"at most {MAX_CUSTOM_FIELDS} custom fields")
        check_json_shape(value)
        for key, item in value.items():
            if not _KEY.match(key):
                raise ValueError(f"custom field name '{key[:40]}' must match {_KEY.pattern}")
            _check_custom_value(key, item)
        return value

    def given(self) -> dict[str, Any]:
        """The fields this upsert sets or clears (None clears), by their input names."""
        fields = type(self).model_fields
        return {
            fields[name].alias or name: getattr(self, name)
            for name in self.model_fields_set - {"user_id"}
        }

    def identifiers(self) -> dict[str, Any]:
        """The given identifiers that name one user (a second user may not claim them), by
        input name; emails compare case-insensitively."""
        found = {
            "email": self.email.lower() if self.email else None,
            "emailHash": self.email_hash,
            "userAgentId": self.user_agent_id,
        }
        return {name: value for name, value in found.items() if value is not None}


def _check_custom_value(key: str, value: Any) -> None:
    scalars = (str, int, float, bool, type(None))
    items = value if isinstance(value, list) else [value]
    if isinstance(value, list) and len(value) > 100:
        raise ValueError(f"custom field '{key}' holds at most 100 values")
    for item in items:
        if not isinstance(item, scalars):
            raise ValueError(f"custom field '{key}' must be a scalar or a list of scalars")
        if isinstance(item, str) and len(item) > 1000:
            raise ValueError(f"custom field '{key}' strings are limited to 1000 characters")
        if isinstance(item, float) and not math.isfinite(item):
            raise ValueError(f"custom field '{key}' numbers must be finite")


def lookup_order(user: str) -> list[tuple[str, str]]:
    """(identifier, value) pairs to try, in order, for a user argument: 'email' (compared
    lower-cased) or 'userId'."""
    user = user.strip()
    if "@" in user:
        return [("email", user.lower()), ("userId", user)]
    return [("userId", user)]
