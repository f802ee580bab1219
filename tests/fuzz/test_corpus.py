"""The hostile-request corpus: every request gets a coded answer below 500, and a refused
mutation stores nothing."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fuzz.corpus import load_cases
from tests.fuzz.harness import FuzzServer, check_response

CASES = load_cases()


def test_the_corpus_holds_at_least_150_requests() -> None:
    assert len(CASES) >= 150
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.fixture(scope="module")
def server() -> Iterator[FuzzServer]:
    running = FuzzServer(os.environ.get("SEG_MONGODB_URL")).start()
    try:
        yield running
    finally:
        running.stop()


def _codes(body: dict[str, Any]) -> set[str]:
    codes = {(e.get("extensions") or {}).get("code") for e in body.get("errors") or []}
    for payload in (body.get("data") or {}).values():
        if isinstance(payload, dict):
            codes |= {e.get("code") for e in payload.get("userErrors") or []}
    return codes


def test_every_hostile_request_gets_a_coded_answer(server: FuzzServer) -> None:
    failures = []
    for case in CASES:
        before = server.fingerprint() if case.stores_nothing else ""
        response = server.send(case.request)
        try:
            if case.raw:
                assert response.status_code < 500
            else:
                body = check_response(response)
                if case.codes:
                    assert _codes(body) & set(case.codes), (case.codes, body)
            if case.status is not None:
                assert response.status_code == case.status, (response.status_code, response.text)
            if case.message is not None:
                assert case.message in response.text, response.text
            if case.stores_nothing:
                assert server.fingerprint() == before, "a refused request stored something"
        except AssertionError as exc:
            failures.append(f"{case.name}: {str(exc)[:600]}")
    assert not failures, "\n".join(failures)
