"""push/ is a one-way graph: each subpackage imports only those below it, and no import (at
module level or hidden in a function) closes a loop."""

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PUSH = Path(__file__).resolve().parents[2] / "push"
# Lowest first. A subpackage may import its own modules and any subpackage of a lower layer.
LAYERS = [
    {"errors", "settings", "calendar", "migrations"},  # words, settings, working days, schema
    {"firms"},  # the registry and enterprise size
    {"facts"},  # what is known of each firm
    {"guides"},  # 申兑指南 rules and the calculator
    {"matching"},  # policy ↔ firm, with reasons
    {"delivery"},  # the outbox and the channels
    {"applications"},  # a firm's applications, node by node
    {"direct"},  # 免申即享 lists, which become applications
    {"reports", "demo"},  # read across everything; the demo wires every part together
    {"cli"},  # the commands
]
pytestmark = pytest.mark.no_database


def _layer(part: str) -> int:
    return next(i for i, names in enumerate(LAYERS) if part in names)


def _unit(module: str) -> str:
    """push.delivery.outbox -> delivery; push.errors -> errors."""
    return module.split(".")[1]


def _imports() -> dict[str, set[str]]:
    """Every push module and the push modules it imports, wherever the import stands."""
    graph: dict[str, set[str]] = defaultdict(set)
    for path in PUSH.rglob("*.py"):
        rel = path.relative_to(PUSH.parent).with_suffix("")
        name = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        graph[name]  # noqa: B018  (a module that imports nothing is still a node)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            graph[name] |= {t for t in targets if t.startswith("push.") and t != name}
    return graph


def test_every_subpackage_has_a_layer():
    units = {p.name if p.is_dir() else p.stem for p in PUSH.iterdir()
             if (p.is_dir() and (p / "__init__.py").exists()) or (p.suffix == ".py"
                                                                  and p.stem != "__init__")}
    placed = set().union(*LAYERS)
    assert units <= placed, f"give these a layer in LAYERS: {sorted(units - placed)}"


def test_no_import_points_up_or_sideways():
    wrong = []
    for module, targets in _imports().items():
        if module == "push":
            continue
        here = _unit(module)
        for target in targets:
            there = _unit(target)
            if there != here and _layer(there) >= _layer(here):
                wrong.append(f"{module} -> {target}")
    assert not wrong, "imports against the layers:\n" + "\n".join(sorted(wrong))


def test_no_import_cycle():
    graph = _imports()
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(module: str, path: list[str]) -> list[str] | None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if target not in graph:  # e.g. push.delivery.models imported as a package path
                continue
            if state.get(target) == 1:
                return [*path, module, target]
            if target not in state and (cycle := visit(target, [*path, module])):
                return cycle
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state and (cycle := visit(module, [])):
            pytest.fail("import cycle: " + " -> ".join(cycle[cycle.index(cycle[-1]):]))
