"""The query-limit rule is validated once per distinct document, not once per request."""

from __future__ import annotations

from unittest import mock

from seg_graphql.domain.models import Principal, Role
from seg_graphql.graphql import limits
from seg_graphql.graphql.context import Context
from seg_graphql.graphql.schema import build_schema


async def test_limit_checks_are_cached_per_document():
    schema = build_schema()
    context = Context(store=None, principal=Principal("acme", Role.VIEWER), request_id="t")
    query = "query Cached { viewer { tenant role } }"
    with mock.patch.object(limits, "_check_document", wraps=limits._check_document) as check:
        for _ in range(5):
            result = await schema.execute(query, context_value=context)
            assert not result.errors and result.data == {
                "viewer": {"tenant": "acme", "role": "VIEWER"}
            }
        assert check.call_count == 1
        await schema.execute("query Other { viewer { tenant } }", context_value=context)
        assert check.call_count == 2
