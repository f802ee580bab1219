"""The GraphQL layer's modules import each other without a cycle, at module level only, and
use strawberry.lazy only where the types themselves form a cycle.

Read from the source with `ast` (nothing is imported): an edge A -> B for every `import` or
`from ... import` in A that names B, at module level or inside a function (which only hides a
cycle until the function runs). Imports under `if TYPE_CHECKING:` are never run, so they are no
edge (they give type checkers and ruff the names a lazy annotation uses).
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

import seg_graphql.graphql

PACKAGE = "seg_graphql.graphql"
ROOT = Path(seg_graphql.graphql.__file__).parent


def _modules(root: Path, package: str) -> dict[str, ast.Module]:
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join((package, *parts))] = ast.parse(path.read_text(), str(path))
    return modules


def _is_type_checking(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imported(node: ast.Import | ast.ImportFrom, module: str, known: set[str]) -> set[str]:
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in known}
    base = node.module or ""
    if node.level:  # relative: resolve against this module's package
        parent = module.rsplit(".", node.level)[0]
        base = f"{parent}.{base}" if base else parent
    found = {f"{base}.{alias.name}" for alias in node.names} & known  # submodules
    return found or ({base} & known)


def _imports(tree: ast.Module) -> list[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import that runs, and whether it is at module level."""
    unchecked = {id(n) for b in tree.body if _is_type_checking(b) for n in ast.walk(b)}
    top = {id(n) for n in tree.body}
    return [
        (node, id(node) in top)
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in unchecked
    ]


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    modules = _modules(root, package)
    known = set(modules)
    graph: dict[str, set[str]] = {}
    for name, tree in modules.items():
        edges: set[str] = set()
        for node, _ in _imports(tree):
            edges |= _imported(node, name, known)
        graph[name] = edges - {name}
    return graph


def nested_imports(root: Path, package: str) -> list[str]:
    """Imports anywhere but the top of a module (TYPE_CHECKING blocks excepted)."""
    return [
        f"{name}:{node.lineno}"
        for name, tree in _modules(root, package).items()
        for node, at_top in _imports(tree)
        if not at_top
    ]


def lazy_references(root: Path, package: str) -> list[tuple[str, str]]:
    """(module, target) for every `strawberry.lazy("target")` (or a name bound to the
    target string) in a module."""
    found = []
    for name, tree in _modules(root, package).items():
        strings = {
            target.id: node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
            for target in node.targets
            if isinstance(target, ast.Name) and isinstance(node.value.value, str)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and ast.unparse(node.func) == "strawberry.lazy"
                and node.args
            ):
                arg = node.args[0]
                if isinstance(arg, ast.Constant):
                    found.append((name, arg.value))
                elif isinstance(arg, ast.Name):
                    found.append((name, strings[arg.id]))
    return found


def _reaches(graph: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        module = todo.pop()
        if module == goal:
            return True
        if module not in seen:
            seen.add(module)
            todo.extend(graph.get(module, ()))
    return False


def test_graphql_modules_import_each_other_without_a_cycle() -> None:
    graph = import_graph(ROOT, PACKAGE)
    assert len(graph) > 30  # the walk did find the domain folders
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        pytest.fail(f"import cycle: {' -> '.join(exc.args[1])}")


def test_graphql_modules_import_at_module_level_only() -> None:
    assert nested_imports(ROOT, PACKAGE) == []


def needless_lazy_references(root: Path, package: str) -> list[tuple[str, str]]:
    """(user, target) where a lazy reference to `target` is used by a module that `target`
    does not import, directly or not: a plain import would do there. A module that holds
    references for others (membership/lazy.py) is judged by the modules that import it."""
    graph = import_graph(root, package)
    needless = []
    for holder, target in lazy_references(root, package):
        users = {module for module, edges in graph.items() if holder in edges} or {holder}
        needless += [(user, target) for user in sorted(users) if not _reaches(graph, target, user)]
    return needless


def test_strawberry_lazy_only_closes_a_real_cycle() -> None:
    assert lazy_references(ROOT, PACKAGE)  # Segment.members and User.history are type cycles
    assert needless_lazy_references(ROOT, PACKAGE) == []


def test_a_planted_cycle_is_found(tmp_path: Path) -> None:
    """The checks above can fail: on a package whose modules do what ours must not."""
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from pkg.sub import b\n")
    (package / "sub" / "b.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "from ..c import C\n"
        "if TYPE_CHECKING:\n    from pkg import a\n"
    )
    (package / "c.py").write_text(
        "import strawberry\nX = strawberry.lazy('pkg.a')\nfrom pkg.a import *\n"
    )
    (package / "d.py").write_text("import strawberry\nX = strawberry.lazy('pkg.c')\n")
    (package / "e.py").write_text("from pkg.d import X\n")
    graph = import_graph(package, "pkg")
    assert graph["pkg.sub.b"] == {"pkg.c"}  # relative, and TYPE_CHECKING is no edge
    with pytest.raises(CycleError):  # a -> b held by a function-level import
        TopologicalSorter(graph).prepare()
    assert nested_imports(package, "pkg") == ["pkg.a:2"]
    assert lazy_references(package, "pkg") == [("pkg.c", "pkg.a"), ("pkg.d", "pkg.c")]
    assert needless_lazy_references(package, "pkg") == [("pkg.e", "pkg.c")]  # c reaches no e
