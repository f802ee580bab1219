"""USER_SEGMENT import lines (mediarithmics' user segment command), validated one by one.

Field names are the seed's. CSV cells arrive as strings, NDJSON values as JSON; both go
through the same model, which converts numeric strings. A user is named by
user_account_id + compartment_id, else email_hash, else user_agent_id (in that order); a
segment by segment_id, else segment_technical_name.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import orjson
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from seg_graphql.domain.changes import (
    MAX_DATA_BAG_BYTES,
    MAX_EXPIRATION_MINUTES,
    check_data_bag_keys,
    expiry_of,
)
from seg_graphql.domain.users import PROFILE_FIELDS, Identifier

USER_SEGMENT_FIELDS = (
    "operation",
    "compartment_id",
    "user_account_id",
    "email_hash",
    "user_agent_id",
    "segment_id",
    "segment_technical_name",
    "expiration_duration",
    "expiration_ts",
    "data_bag",
    "weight",
)


class Operation(StrEnum):
    UPDATE = "UPDATE"
    DELETE = "DELETE"


class UserSegmentCommand(BaseModel):
    # NDJSON files often carry ids as numbers: 42 is read as "42" (in C, no Python validator)
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    operation: Operation
    compartment_id: Identifier | None = None
    user_account_id: Identifier | None = None
    email_hash: Identifier | None = None
    user_agent_id: Identifier | None = None
    segment_id: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,15}$")] | None = None
    segment_technical_name: Identifier | None = None
    expiration_duration: int = Field(ge=0, le=MAX_EXPIRATION_MINUTES)
    expiration_ts: int | None = Field(default=None, ge=0)
    data_bag: Any = None
    weight: float = Field(default=1.0, ge=0.0, le=1.0)

    @field_validator("data_bag", mode="before")
    @classmethod
    def _escaped_json(cls, value: Any) -> Any:
        # The seed sends data_bag as an escaped JSON string; decode it here, once.
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValueError("data_bag must be an escaped JSON string")
        if len(value.encode()) > MAX_DATA_BAG_BYTES:
            raise ValueError(f"data_bag is limited to {MAX_DATA_BAG_BYTES} bytes")
        try:
            decoded = orjson.loads(value)
        except orjson.JSONDecodeError:
            raise ValueError("data_bag is not valid JSON") from None
        check_data_bag_keys(decoded, "data_bag")
        return decoded

    @model_validator(mode="after")
    def _names_a_user_and_a_segment(self) -> UserSegmentCommand:
        if (self.user_account_id is None) != (self.compartment_id is None):
            raise ValueError("user_account_id and compartment_id go together")
        if not (self.user_account_id or self.email_hash or self.user_agent_id):
            raise ValueError(
                "no user identifier: give user_account_id + compartment_id, "
                "email_hash or user_agent_id"
            )
        if self.segment_id is None and self.segment_technical_name is None:
            raise ValueError("give segment_id or segment_technical_name")
        return self

    def expires_at(self, at: datetime) -> datetime | None:
        return expiry_of(self.expiration_ts, self.expiration_duration, at)

    def user_key(self) -> tuple[str, Any]:
        """The stored field and value that name the user, by the documented precedence."""
        return self.user_keys()[0]

    def user_keys(self) -> list[tuple[str, Any]]:
        """Every identifier the line gives, by precedence: the first that names a known
        user is the user."""
        keys: list[tuple[str, Any]] = []
        if self.user_account_id is not None:
            keys.append(("account", (self.compartment_id, self.user_account_id)))
        if self.email_hash is not None:
            keys.append(("emailHash", self.email_hash))
        if self.user_agent_id is not None:
            keys.append(("userAgentId", self.user_agent_id))
        return keys

    def new_user_id(self) -> str:
        """The userId of a user this line creates: derived from its first identifier, so
        re-applying the line finds the same user."""
        field, value = self.user_key()
        if field == "account":
            return f"account:{value[0]}:{value[1]}"
        return f"{'email_hash' if field == 'emailHash' else 'user_agent'}:{value}"

    def identity(self) -> dict[str, str | None]:
        """The identifiers a user this line creates holds (User attributes)."""
        return {
            "compartment_id": self.compartment_id,
            "user_account_id": self.user_account_id,
            "email_hash": self.email_hash,
            "user_agent_id": self.user_agent_id,
        }


# USER_PROFILE lines carry upsertUsers' fields; in CSV, list and object cells hold JSON.
USER_PROFILE_FIELDS = ("userId", *PROFILE_FIELDS)
_JSON_CELLS = ("badges", "customFields")


def profile_fields(fields: dict[str, Any], *, from_csv: bool) -> dict[str, Any]:
    if not from_csv:
        return fields
    decoded = dict(fields)
    for name in _JSON_CELLS:
        if isinstance(decoded.get(name), str):
            try:
                decoded[name] = orjson.loads(decoded[name])
            except orjson.JSONDecodeError:
                raise ValueError(f"{name}: a CSV cell of {name} must hold JSON") from None
    return decoded
