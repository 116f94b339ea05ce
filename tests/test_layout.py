"""The repository's layers: benchmarks stand on the product, never on the tests."""

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
