"""USER_SEGMENT line validation (mediarithmics field names), for NDJSON values and CSV strings."""

from __future__ import annotations

import pytest

from seg_graphql.domain.errors import UserInputError
from seg_graphql.domain.import_lines import UserSegmentCommand
from seg_graphql.domain.inputs import parse_model


def parse(**fields):
    return parse_model(UserSegmentCommand, fields, ("line",))


def test_seed_example_line():
    command = parse(
        operation="UPDATE",
        expiration_duration=0,
        compartment_id="c1",
        user_account_id="a1",
        segment_id="5",
    )
    assert command.user_key() == ("account", ("c1", "a1"))
    assert command.segment_id == "5" and command.weight == 1.0


def test_csv_strings_are_converted():
    command = parse(
        operation="DELETE",
        expiration_duration="30",
        expiration_ts="1900000000",
        email_hash="h",
        segment_technical_name="vip",
        weight="0.25",
        data_bag='{"source": "crm", "n": [1, 2]}',
    )
    assert command.expiration_duration == 30 and command.weight == 0.25
    assert command.data_bag == {"source": "crm", "n": [1, 2]}
    assert command.user_key() == ("emailHash", "h")


def test_identifier_precedence():
    assert parse(
        operation="UPDATE", expiration_duration=0, email_hash="h", user_agent_id="ua", segment_id=1
    ).user_key() == ("emailHash", "h")
    assert parse(
        operation="UPDATE", expiration_duration=0, user_agent_id="ua", segment_id=1
    ).user_key() == ("userAgentId", "ua")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"operation": "MERGE"}, "Input should be 'UPDATE' or 'DELETE'"),
        ({"expiration_duration": None}, "Field required"),
        ({"expiration_duration": -1}, "greater than or equal to 0"),
        ({"expiration_duration": "soon"}, "integer"),
        ({"data_bag": "{not json"}, "data_bag is not valid JSON"),
        ({"data_bag": {"already": "decoded"}}, "escaped JSON string"),
        ({"weight": 2}, "less than or equal to 1"),
        ({"segment_id": "abc"}, "pattern"),
        ({"email_hash": None, "user_agent_id": None}, "no user identifier"),
        ({"email_hash": None, "user_account_id": "a1"}, "go together"),
        ({"segment_id": None}, "segment_id or segment_technical_name"),
        ({"unknown_column": 1}, "Extra inputs are not permitted"),
        ({"email_hash": "has space"}, "pattern"),
    ],
)
def test_bad_lines_name_the_problem(fields, message):
    base = {"operation": "UPDATE", "expiration_duration": 0, "email_hash": "h", "segment_id": "1"}
    line = {k: v for k, v in {**base, **fields}.items() if v is not None}
    if "expiration_duration" in fields and fields["expiration_duration"] is None:
        line.pop("expiration_duration", None)
    with pytest.raises(UserInputError) as caught:
        parse(**line)
    assert any(message.lower() in p.message.lower() for p in caught.value.problems), caught.value
