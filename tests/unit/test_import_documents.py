"""Import job documents are built and read only in store/ (review of issue 12, findings 3
and 4): no module above the store spells a field name that only the import collections
use. test_layering.py sees query operators; a job document built by hand holds none.

The names are read from store/imports.py and store/import_queue.py (every key of a dict they
write or match), less the names the GraphQL API also uses (`status`, `name`...) and less the
names another store module also writes (`_id`, `owner`...): what is left is the import
collections' own bookkeeping (`chunkCount`, `checkpointLine`...), which no other layer has a
reason to spell."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.unit.test_layering import PACKAGE, modules_above_the_store

IMPORT_STORE = {PACKAGE / "store" / "imports.py", PACKAGE / "store" / "import_queue.py"}
SCHEMA = PACKAGE.parent.parent / "schema.graphql"


def _dict_keys(path: Path) -> set[str]:
    return {
        key.value
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Dict)
        for key in node.keys
        if isinstance(key, ast.Constant) and isinstance(key.value, str)
    }


def import_field_names() -> set[str]:
    others = set().union(
        *(_dict_keys(p) for p in (PACKAGE / "store").rglob("*.py") if p not in IMPORT_STORE)
    )
    api = set(re.findall(r"[A-Za-z_]\w*", SCHEMA.read_text()))
    own = set().union(*(_dict_keys(p) for p in IMPORT_STORE))
    # single letters (the chunk number `n`) are too short to tell anything apart
    return {name for name in own - others - api if len(name) > 1 and not name.startswith("$")}


def spelled(path: Path, names: set[str]) -> list[str]:
    name = path.relative_to(PACKAGE).as_posix()
    return [
        f"{name}:{node.lineno} spells the import document's field {node.value!r}"
        for node in ast.walk(ast.parse(path.read_text(), name))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names
    ]


def test_no_module_above_the_store_spells_an_import_document_field():
    names = import_field_names()
    assert [v for path in modules_above_the_store() for v in spelled(path, names)] == []


def test_the_check_knows_the_bookkeeping_fields_and_sees_them():
    names = import_field_names()
    assert {"chunkCount", "checkpointLine", "claims", "recoveries", "importId"} <= names
    assert not names & {"status", "name", "_id", "tenant"}  # shared: not evidence
    planted = PACKAGE / "jobs" / "_planted_for_test.py"
    planted.write_text('FIELDS = {"checkpointLine": 0, "status": "RUNNING"}\n')
    try:
        assert spelled(planted, names) == [
            "jobs/_planted_for_test.py:1 spells the import document's field 'checkpointLine'"
        ]
    finally:
        planted.unlink()
