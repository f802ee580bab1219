"""Schema-driven fuzzing (hypothesis-graphql): valid and invalid queries and mutations over
every root field, with a fixed seed and a bounded number of examples.

Every response must be < 500, carry a code on each error, never INTERNAL_SERVER_ERROR, and a
mutation refused as a whole must leave the database as it was.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, queries

from seg_graphql.graphql.schema import schema_sdl
from tests.fuzz.harness import FuzzServer, check_response, refused

REAL_URL = os.environ.get("SEG_MONGODB_URL")
# >= 2,000 requests on the embedded lane; FerretDB scans and is ~50x slower, so fewer there.
EXAMPLES = int(os.environ.get("SEG_FUZZ_EXAMPLES", "60" if REAL_URL else "520"))

SCHEMA = graphql.build_schema(schema_sdl())


def _json_value() -> st.SearchStrategy[graphql.ValueNode]:
    scalars = st.one_of(
        st.integers(-(2**70), 2**70).map(lambda n: graphql.IntValueNode(value=str(n))),
        st.floats(allow_nan=False, allow_infinity=False).map(
            lambda f: graphql.FloatValueNode(value=repr(f))
        ),
        st.text(max_size=30).map(lambda s: graphql.StringValueNode(value=s)),
        st.booleans().map(lambda b: graphql.BooleanValueNode(value=b)),
        st.just(graphql.NullValueNode()),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4).map(lambda vs: graphql.ListValueNode(values=tuple(vs))),
            st.dictionaries(
                # GraphQL object literals take names only; FQL's "$" keys travel in the corpus
                st.sampled_from(["tier", "points", "email", "customFields", "a", "_in"]),
                inner,
                max_size=3,
            ).map(
                lambda d: graphql.ObjectValueNode(
                    fields=tuple(
                        graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=v)
                        for k, v in d.items()
                    )
                )
            ),
        ),
        max_leaves=12,
    )


CUSTOM_SCALARS = {
    "JSON": _json_value(),
    "UnixTimestamp": st.integers(-(2**60), 2**60).map(lambda n: graphql.IntValueNode(value=str(n))),
    "DateTime": st.just(graphql.StringValueNode(value="2026-01-01T00:00:00Z")),
    "Upload": st.just(graphql.NullValueNode()),
}


@pytest.fixture(scope="module")
def server() -> Iterator[FuzzServer]:
    running = FuzzServer(REAL_URL).start()
    try:
        yield running
    finally:
        running.stop()


def _root_fields(query: str) -> list[str]:
    operation = graphql.parse(query).definitions[0]
    assert isinstance(operation, graphql.OperationDefinitionNode)
    return [s.name.value for s in operation.selection_set.selections]  # type: ignore[attr-defined]


FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,  # a fixed seed: the same requests on every run
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)


def _run(server: FuzzServer, query: str, *, mutation: bool) -> None:
    before = server.fingerprint() if mutation else ""
    body = check_response(server.send({"json": {"query": query}}))
    if mutation and refused(body, _root_fields(query)):
        assert server.fingerprint() == before, ("a refused mutation stored something", query)


@pytest.mark.parametrize("mode", [Mode.POSITIVE, Mode.NEGATIVE], ids=["valid", "invalid"])
@pytest.mark.parametrize("kind", ["query", "mutation"])
def test_fuzz(server: FuzzServer, kind: str, mode: Mode) -> None:
    start = server.requests
    documents = queries if kind == "query" else mutations

    @FUZZ
    @given(query=documents(SCHEMA, custom_scalars=CUSTOM_SCALARS, mode=mode))
    def run(query: str) -> None:
        _run(server, query, mutation=kind == "mutation")

    run()
    assert server.requests - start >= EXAMPLES
