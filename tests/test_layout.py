"""The repository's layers: kb stands on nothing of push or web, benchmarks never on the tests."""

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.no_database

ROOT = Path(__file__).resolve().parent.parent


def _imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_benchmark_imports_the_tests():
    offenders = {path.name: sorted(n for n in _imported(path) if n.split(".")[0] == "tests")
                 for path in sorted((ROOT / "bench").glob("*.py"))}
    assert {name: found for name, found in offenders.items() if found} == {}


def test_kb_imports_neither_push_nor_web():
    # Packages built on kb plug in through entry points (kb/plugins.py); kb never names them.
    offenders = {str(path.relative_to(ROOT)): sorted(n for n in _imported(path)
                                                     if n.split(".")[0] in ("push", "web"))
                 for path in sorted((ROOT / "kb").rglob("*.py"))}
    assert {name: found for name, found in offenders.items() if found} == {}


# alembic's op calls whose first argument names the table a revision changes (a batch's own
# calls name columns, inside the batch_alter_table that names the table).
TABLE_OPS = {"create_table", "drop_table", "batch_alter_table", "add_column", "drop_column",
             "alter_column", "create_index", "drop_index", "rename_table", "bulk_insert"}


def _tables_changed(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.args[0].value for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "op"
            and node.func.attr in TABLE_OPS and node.args
            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)}


def _owners() -> dict[str, str]:
    """Each table's package: the one whose model module defines it."""
    from sqlmodel import SQLModel

    from kb.database.schema import models_metadata

    models_metadata()
    return {m.class_.__tablename__: m.class_.__module__.split(".")[0]
            for m in SQLModel._sa_registry.mappers}


def test_each_package_migrates_its_own_tables():
    # kb's revisions never touch push's tables; each of push's changes at least one of its own
    # (one also widens a CHECK on kb's revision table for its content kind: push builds on kb).
    from kb.database.schema import version_locations

    owners = _owners()
    found = {}
    for package, folder in version_locations().items():
        for path in sorted(folder.glob("[0-9]*.py")):
            tables = _tables_changed(path)
            owned = {t for t in tables if owners.get(t) == package}
            found[path.name] = (package, sorted(tables - owned) if package == "kb" else
                                [] if owned else ["none of its own"])
    assert {name: others for name, (_, others) in found.items() if others} == {}
    assert {p for p, _ in found.values()} == {"kb", "push"}
    assert found["0001a_push_baseline.py"][0] == "push"


def test_kb_names_no_content_kind_another_package_registers():
    # kb's ContentKind holds its own kinds; push's 申兑指南 reaches kb only by registration.
    from kb import plugins

    registered = {m.KIND for m in plugins.load("content")} | {
        m.KIND.upper() for m in plugins.load("content")}
    assert registered
    offenders = {}
    for path in sorted((ROOT / "kb").rglob("*.py")):
        named = {n.value for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                 if isinstance(n, ast.Constant) and n.value in registered}
        if named:
            offenders[str(path.relative_to(ROOT))] = sorted(named)
    assert offenders == {}


def test_kb_subpackages_form_a_one_way_graph():
    # kb/authoring builds on kb/database, never the other way (a migration once imported
    # kb.authoring): any loop between kb's subpackages, imports inside functions included, fails.
    kb = ROOT / "kb"
    graph: dict[str, set[str]] = {}
    for path in kb.rglob("*.py"):
        parts = path.relative_to(kb).parts
        if len(parts) < 2:
            continue
        for name in _imported(path):
            bits = name.split(".")
            if bits[0] == "kb" and len(bits) > 2 and (kb / bits[1]).is_dir() and bits[1] != parts[0]:
                graph.setdefault(parts[0], set()).add(bits[1])

    def loop_from(node: str, path: list[str]) -> list[str] | None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in path:
                return [*path[path.index(nxt):], nxt]
            found = loop_from(nxt, [*path, nxt])
            if found:
                return found
        return None

    assert [loop for start in sorted(graph) if (loop := loop_from(start, [start]))] == []
