"""The product's types are checked, not held up by ``noqa``.

mypy runs with pyproject.toml's configuration (strict on kb/search, push/matching and
push/delivery; its defaults elsewhere), and no line of the repository silences ruff's annotation
rules: a missing annotation is written, not excused.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.no_database, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
NOQA_ANN = re.compile(r"#\s*noqa:[^\n]*\bANN\d")


# A fresh mypy without a cache takes about 90 s on an idle 2-core machine, several minutes on a
# busy one: the subprocess has its own limit, longer than the suite's default per test.
@pytest.mark.timeout(900)
def test_mypy_passes_on_kb_push_and_web(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache"),
         "--no-error-summary", "--hide-error-context"],
        cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_line_excuses_a_missing_annotation():
    excused = [f"{path.relative_to(ROOT)}:{number}"
               for folder in ("kb", "push", "web", "bench", "tests")
               for path in sorted((ROOT / folder).rglob("*.py"))
               for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
               if NOQA_ANN.search(line)]
    assert excused == []
