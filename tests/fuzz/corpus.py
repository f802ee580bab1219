"""Loads the hostile-request corpus (tests/fuzz/corpus/*.json) into concrete requests.

A file holds either `cases` (one request each, with what the answer must be) or a matrix of
`templates` x `values` (each value sent as the variable `$v` to each template). Large values
are written as directives so the files stay readable:
`{"__repeat__": "x", "times": N}`, `{"__nest__": KEY, "depth": N}` (KEY null nests lists),
`{"__range__": N}`, `{"__many__": N}` (an object of N keys), `{"__users__": N}` (N UserInputs).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).parent / "corpus"


@dataclass
class Case:
    name: str
    request: dict[str, Any]
    status: int | None = None
    codes: list[str] = field(default_factory=list)
    stores_nothing: bool = False
    raw: bool = False  # the answer is not a GraphQL response (metrics text, 405 page)
    message: str | None = None  # a text the answer must contain


def load_cases() -> list[Case]:
    cases: list[Case] = []
    for path in sorted(CORPUS.glob("*.json")):
        data = json.loads(path.read_text())
        for case in data.get("cases", []):
            expect = case.get("expect", {})
            cases.append(
                Case(
                    name=f"{path.stem}:{case['name']}",
                    request=_request(case["request"]),
                    status=expect.get("status"),
                    codes=expect.get("codes", []),
                    stores_nothing=expect.get("stores_nothing", False),
                    raw=expect.get("raw", False),
                    message=expect.get("message"),
                )
            )
        for template in data.get("templates", []):
            for index, value in enumerate(data["values"]):
                variables = {"v": expand(value)}
                cases.append(
                    Case(
                        name=f"{path.stem}:{template['name']}:{index}",
                        request={"json": {"query": template["query"], "variables": variables}},
                        codes=data["expect_codes"],
                        stores_nothing=template["query"].lstrip().startswith("mutation"),
                    )
                )
    return cases


def _request(spec: dict[str, Any]) -> dict[str, Any]:
    request = dict(spec)
    if "content_hex" in request:
        request["content"] = bytes.fromhex(request.pop("content_hex"))
    if "json" in request:
        request["json"] = expand(request["json"])
    return request


def expand(value: Any) -> Any:
    if isinstance(value, list):
        return [expand(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__repeat__" in value:
        return value["__repeat__"] * value["times"]
    if "__nest__" in value:
        nested: Any = 1
        for _ in range(value["depth"]):
            nested = [nested] if value["__nest__"] is None else {value["__nest__"]: nested}
        return nested
    if "__range__" in value:
        return list(range(value["__range__"]))
    if "__many__" in value:
        return {f"k{i}": i for i in range(value["__many__"])}
    if "__users__" in value:
        return [{"userId": f"many{i}"} for i in range(value["__users__"])]
    return {k: expand(v) for k, v in value.items()}
