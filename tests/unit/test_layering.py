"""MongoDB documents are built only in store/: no module above it spells a query operator
or imports a MongoDB driver (ARCHITECTURE.md, "Who owns what")."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import seg_graphql

PACKAGE = Path(seg_graphql.__file__).parent
OPERATOR = re.compile(r"\$[A-Za-z]+")
DRIVERS = ("pymongo", "motor", "mongomock", "mongomock_motor")
# FQL is the API's Mongo-like input language: fql.py reads and writes its `$gte`... as
# syntax, into and out of domain Rules; it never builds a document for the database.
# demo.py creates its demo segments through the API, in FQL.
INPUT_LANGUAGE = {"domain/fql.py", "demo.py"}
# Assembling the app opens the store (client factory, embedded server): not a layer above it.
WIRING = {"app.py", "embedded_start.py"}
# Known, left for issue 14's owner of web/: request deadlines through pymongo.timeout (a
# Store.timeout() would hide it); listed so that any new import fails.
DEADLINES = {"web/graphql_endpoint.py", "web/metrics.py"}


def modules_above_the_store() -> list[Path]:
    return [
        path
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE).parts[0] != "store"
    ]


def violations(path: Path) -> list[str]:
    name = path.relative_to(PACKAGE).as_posix()
    found = []
    for node in ast.walk(ast.parse(path.read_text(), name)):
        if (
            name not in INPUT_LANGUAGE
            and isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and OPERATOR.fullmatch(node.value)
        ):
            found.append(f"{name}:{node.lineno} builds a MongoDB document ({node.value!r})")
        if name in WIRING | DEADLINES:
            continue
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules = [node.module or ""]
        else:
            continue
        for module in modules:
            if module.split(".")[0] in DRIVERS:
                found.append(f"{name}:{node.lineno} imports a MongoDB driver ({module})")
    return found


def test_no_module_above_the_store_builds_a_mongodb_document():
    assert [v for path in modules_above_the_store() for v in violations(path)] == []


def test_the_check_sees_an_operator_and_a_driver(tmp_path):
    sample = PACKAGE / "services" / "segments.py"
    assert violations(sample) == []
    planted = sample.with_name("_planted_for_test.py")
    planted.write_text('import pymongo\nQUERY = {"userId": {"$in": []}}\n')
    try:
        assert violations(planted) == [
            "services/_planted_for_test.py:1 imports a MongoDB driver (pymongo)",
            "services/_planted_for_test.py:2 builds a MongoDB document ('$in')",
        ]
    finally:
        planted.unlink()


# The store's writes of users' membership state, and of their history events: called only by
# their one owner (ARCHITECTURE.md: one owner per write), so that the edit right, the list
# limit, the write order and the events are decided in one place.
MEMBERSHIP_WRITES = {
    "write_entries",
    "write_entry_if_newer",
    "expire_entries",
    "remove_segment",
    "record_once",
}
THE_WRITER = "services/membership_writes.py"


def membership_writes(path: Path) -> list[str]:
    name = path.relative_to(PACKAGE).as_posix()
    if name == THE_WRITER:
        return []
    return [
        f"{name}:{node.lineno} writes membership state ({node.attr})"
        for node in ast.walk(ast.parse(path.read_text(), name))
        if isinstance(node, ast.Attribute) and node.attr in MEMBERSHIP_WRITES
    ]


def test_membership_state_is_written_only_by_its_owner():
    assert [v for path in modules_above_the_store() for v in membership_writes(path)] == []
    assert membership_writes(PACKAGE / THE_WRITER) == []
    planted = PACKAGE / "services" / "_planted_for_test.py"
    planted.write_text("async def f(scope):\n    await scope.users.remove_segment(1)\n")
    try:
        assert membership_writes(planted) == [
            "services/_planted_for_test.py:2 writes membership state (remove_segment)"
        ]
    finally:
        planted.unlink()


# Time conversions (zones, Unix seconds) are made in one place, domain/times.py.
TIMES = "domain/times.py"
CONVERSIONS = {"timestamp", "fromtimestamp", "utcfromtimestamp", "astimezone", "utcnow"}


def time_conversions(path: Path) -> list[str]:
    name = path.relative_to(PACKAGE).as_posix()
    if name == TIMES:
        return []
    found = []
    for node in ast.walk(ast.parse(path.read_text(), name)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        if node.func.attr in CONVERSIONS:
            found.append(f"{name}:{node.lineno} converts a time ({node.func.attr})")
        elif any(keyword.arg == "tzinfo" for keyword in node.keywords):
            found.append(f"{name}:{node.lineno} converts a time ({node.func.attr}(tzinfo=))")
    return found


def test_times_are_converted_only_in_domain_times():
    every = sorted(PACKAGE.rglob("*.py"))
    assert [v for path in every for v in time_conversions(path)] == []
    assert time_conversions(PACKAGE / TIMES) == []
    planted = PACKAGE / "domain" / "_planted_for_test.py"
    planted.write_text("def f(at, n):\n    return int(at.timestamp()), at.replace(tzinfo=None)\n")
    try:
        assert sorted(time_conversions(planted)) == [
            "domain/_planted_for_test.py:2 converts a time (replace(tzinfo=))",
            "domain/_planted_for_test.py:2 converts a time (timestamp)",
        ]
    finally:
        planted.unlink()


# The store is the bottom layer but for the domain's values: it imports nothing above it.
BELOW_THE_STORE = {"store", "domain"}


def upward_imports(path: Path) -> list[str]:
    name = path.relative_to(PACKAGE).as_posix()
    package = [PACKAGE.name, *path.relative_to(PACKAGE).parent.parts]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), name)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            modules = [node.module or ""]
        elif isinstance(node, ast.ImportFrom):  # relative: `from ..jobs import x` goes up too
            base = package[: len(package) - node.level + 1]
            modules = (
                [".".join([*base, node.module])]
                if node.module
                else [".".join([*base, alias.name]) for alias in node.names]
            )
        else:
            continue
        for module in modules:
            parts = module.split(".")
            if parts[0] == "seg_graphql" and (len(parts) < 2 or parts[1] not in BELOW_THE_STORE):
                found.append(f"{name}:{node.lineno} imports {module}, above the store")
    return found


def test_the_store_imports_nothing_above_it():
    store = sorted((PACKAGE / "store").rglob("*.py"))
    assert store and [v for path in store for v in upward_imports(path)] == []
    planted = PACKAGE / "store" / "_planted_for_test.py"
    planted.write_text(
        "from seg_graphql.domain.times import naive_utc\n"
        "from seg_graphql.jobs.periodic import Periodic\n"
        "from ..jobs.periodic import Periodic\n"
        "from .. import services\n"
        "from . import users\n"
        "from ..domain import times\n"
    )
    try:
        assert upward_imports(planted) == [
            "store/_planted_for_test.py:2 imports seg_graphql.jobs.periodic, above the store",
            "store/_planted_for_test.py:3 imports seg_graphql.jobs.periodic, above the store",
            "store/_planted_for_test.py:4 imports seg_graphql.services, above the store",
        ]
    finally:
        planted.unlink()
