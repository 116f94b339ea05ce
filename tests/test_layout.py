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
