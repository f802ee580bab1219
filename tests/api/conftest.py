"""Every API test doubles as a differential test of compiled execution (tests/differential.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from seg_graphql.execution import CompiledExecution
from tests.differential import DIFFERENTIAL


@pytest.fixture(autouse=True)
def differential_execution(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    async def execute(self: CompiledExecution, query: str, **kwargs: Any) -> Any:
        return await DIFFERENTIAL.execute(self, query, **kwargs)

    monkeypatch.setattr(CompiledExecution, "execute", execute)
    known = len(DIFFERENTIAL.mismatches)
    yield
    differences = DIFFERENTIAL.mismatches[known:]
    assert not differences, "compiled and generic execution differ:\n" + "\n".join(differences)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    lines = DIFFERENTIAL.summary()
    if lines:
        terminalreporter.write_sep("-", "compiled execution (differential)")
        for line in lines:
            terminalreporter.write_line(line)
