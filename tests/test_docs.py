"""The documentation keeps up with the code.

README.md stays short (a newcomer's one or two screens) and everything else lives in docs/*.md,
which must name every ``policykb`` command and every ``KB_`` setting, and link only to files that
exist. Commands and settings are found in the code, never from a hand-written list:

* commands: the real parser (``kb.cli.main.build_parser``, argparse, with the groups that push/ and
  web/ plug in through the ``policykb.commands`` entry points), walked down every sub-parser. The
  docs' convention is an inline code span that begins with the full command path, e.g.
  `` `policykb push worker` `` or `` `policykb push worker [--id ID]` `` (the table in
  docs/commands.md has one row per command);
* settings: every pydantic-settings class defined in kb/, push/ or web/ (found by importing the
  modules that declare a ``*Settings`` class and walking ``BaseSettings.__subclasses__()``), each
  field under its environment name (the class's ``env_prefix`` + the field name, or its alias),
  plus every ``KB_NAME`` the source of kb/, push/ and web/ mentions (``os.environ["KB_…"]``,
  ``os.getenv("KB_…")``, messages naming a variable).
"""

import argparse
import importlib
import re
import unicodedata
from importlib.metadata import entry_points
from pathlib import Path
from urllib.parse import unquote

import pytest
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

pytestmark = pytest.mark.no_database

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PACKAGES = ("kb", "push", "web")
README_MAX_LINES = 200

# A whole variable name: KB_ and at least one more character, ending in a letter or digit, not part
# of a longer word (so the wildcard ``KB_INGEST_*`` or ``KB_SMTP_…`` names no variable).
KB_NAME = re.compile(r"(?<![A-Za-z0-9_])KB_[A-Z0-9_]*[A-Z0-9](?![A-Za-z0-9_])")
# A class whose bases mention Settings (BaseSettings itself, or a settings class of the product).
SETTINGS_CLASS = re.compile(r"^\s*class\s+\w+\s*\([^)]*Settings[^)]*\)\s*:", re.MULTILINE)


def doc_files() -> list[Path]:
    """docs/*.md, in name order."""
    files = sorted(DOCS.glob("*.md"))
    assert files, f"no documentation in {DOCS}"
    return files


def docs_text() -> str:
    """Every docs/*.md file, joined."""
    return "\n".join(path.read_text(encoding="utf-8") for path in doc_files())


def source_files() -> list[Path]:
    """The product's source: Python, templates and scripts of kb/, push/ and web/."""
    return sorted(path for package in PACKAGES for suffix in ("*.py", "*.html", "*.js")
                  for path in (ROOT / package).rglob(suffix))


# --- commands ---------------------------------------------------------------------------------


def command_paths() -> list[str]:
    """Every command and sub-command of ``policykb``, as full paths ("policykb push worker")."""
    from kb.cli.main import build_parser

    found: list[str] = []

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        for action in parser._actions:
            if not isinstance(action, argparse._SubParsersAction):
                continue
            seen: set[int] = set()
            for name, sub in action.choices.items():
                if id(sub) in seen:  # an alias of a name already listed
                    continue
                seen.add(id(sub))
                found.append(f"{path} {name}")
                walk(sub, f"{path} {name}")

    walk(build_parser(), "policykb")
    return found


def documented(path: str, text: str) -> bool:
    """Whether an inline code span in ``text`` begins with the command ``path``."""
    return re.search("`" + re.escape(path) + r"(?=[`\s])", text) is not None


def test_commands_are_found_with_the_plugged_in_groups() -> None:
    paths = command_paths()
    assert len(paths) == len(set(paths))
    for ep in entry_points(group="policykb.commands"):  # push's groups, web's ``serve``
        parser = argparse.ArgumentParser()
        subparsers = parser.add_subparsers()
        ep.load()(subparsers)
        assert subparsers.choices, f"entry point {ep.name} registers no command"
        missing = [name for name in subparsers.choices if f"policykb {name}" not in paths]
        assert not missing, f"entry point {ep.name}'s commands not walked: {missing}"


def test_every_command_is_documented() -> None:
    text = docs_text()
    missing = [path for path in command_paths() if not documented(path, text)]
    assert not missing, ("commands not documented in docs/*.md (write each as an inline code span "
                         "beginning with its full path, e.g. `policykb push worker`): "
                         + ", ".join(missing))


# --- settings ---------------------------------------------------------------------------------


def settings_modules() -> list[str]:
    """kb.config and every module of kb/, push/, web/ that declares a settings class."""
    names = {"kb.config"}
    for path in source_files():
        if path.suffix != ".py":
            continue
        source = path.read_text(encoding="utf-8")
        if "BaseSettings" in source or SETTINGS_CLASS.search(source):
            parts = path.relative_to(ROOT).with_suffix("").parts
            names.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return sorted(names)


def settings_classes() -> list[type[BaseSettings]]:
    """Every BaseSettings subclass defined in kb/, push/ or web/ (nested subclasses included)."""
    for name in settings_modules():
        importlib.import_module(name)
    found: list[type[BaseSettings]] = []
    todo = list(BaseSettings.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in PACKAGES and cls not in found:
            found.append(cls)
    return found


def env_names(cls: type[BaseSettings]) -> set[str]:
    """The environment variable that sets each field of a settings class."""
    prefix = cls.model_config.get("env_prefix", "")
    names = set()
    for name, field in cls.model_fields.items():
        alias = field.validation_alias or field.alias
        if isinstance(alias, str):  # pydantic-settings reads an alias as is, without the prefix
            names.add(alias.upper())
        elif isinstance(alias, AliasChoices):
            names.update(c.upper() for c in alias.choices[:1] if isinstance(c, str))
        else:
            names.add(f"{prefix}{name}".upper())
    return names


def source_kb_names() -> dict[str, str]:
    """Every KB_ variable the source names, with the first file naming it."""
    found: dict[str, str] = {}
    for path in source_files():
        for name in KB_NAME.findall(path.read_text(encoding="utf-8")):
            found.setdefault(name, str(path.relative_to(ROOT)))
    return found


def test_settings_classes_are_found() -> None:
    from kb.config import Settings

    classes = settings_classes()
    assert Settings in classes
    assert all(env_names(cls) for cls in classes)
    assert "KB_HOME" in env_names(Settings)


def test_every_setting_is_documented() -> None:
    documented_names = set(KB_NAME.findall(docs_text()))
    wanted = {name: f"{cls.__module__}.{cls.__qualname__}"
              for cls in settings_classes() for name in env_names(cls)}
    for name, where in source_kb_names().items():
        wanted.setdefault(name, where)
    missing = sorted(f"{name} ({where})" for name, where in wanted.items()
                     if name not in documented_names)
    assert not missing, "settings not documented in docs/*.md: " + ", ".join(missing)


# --- README and links -------------------------------------------------------------------------


def test_readme_is_short() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) < README_MAX_LINES, (
        f"README.md has {len(lines)} lines (fewer than {README_MAX_LINES}): move detail to docs/")


def test_readme_starts_with_the_two_commands_ci_runs() -> None:
    """The test command of .ci/run is the README's, in the fenced block near the top."""
    readme = README.read_text(encoding="utf-8").splitlines()
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
          if "tests/run" in line and not line.lstrip().startswith("#")]
    assert ci, ".ci/run runs no tests/run command"
    heading = readme.index("## The two commands")
    assert heading < 20, "the two commands must stay near the top of README.md"
    start = readme.index("```bash", heading)
    end = readme.index("```", start + 1)
    block = readme[start + 1:end]
    assert end < 40
    assert any(line.startswith("pip install") and "policykb demo" in line for line in block)
    for command in ci:
        assert command in block, f"README's test command is not .ci/run's: {command}"


def heading_anchors(path: Path) -> set[str]:
    """The anchors GitHub gives the headings of a Markdown file."""
    anchors: set[str] = set()
    counts: dict[str, int] = {}
    for line in strip_code(path.read_text(encoding="utf-8"), spans=False).splitlines():
        m = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", m.group(1)).strip().lower()
        slug = "".join(ch for ch in text if ch in " -" or unicodedata.category(ch)[0] in "LMN"
                       or unicodedata.category(ch) == "Pc").replace(" ", "-")
        n = counts.get(slug, 0)
        counts[slug] = n + 1
        anchors.add(slug if n == 0 else f"{slug}-{n}")
    return anchors


def strip_code(text: str, spans: bool = True) -> str:
    """The text without fenced code blocks (and inline code spans), where links are not links."""
    text = re.sub(r"^```.*?^```[^\n]*$", "", text, flags=re.MULTILINE | re.DOTALL)
    return re.sub(r"`[^`\n]*`", "", text) if spans else text


LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE)


def test_relative_links_point_at_files() -> None:
    broken = []
    for page in [README, *doc_files()]:
        text = strip_code(page.read_text(encoding="utf-8"))
        for target in LINK.findall(text) + REFERENCE.findall(text):
            if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", target) or target.startswith("//"):
                continue  # http:, https:, mailto:: not a file of the repository
            file_part, _, fragment = unquote(target).partition("#")
            where = (page.parent / file_part).resolve() if file_part else page
            name = f"{page.relative_to(ROOT)}: {target}"
            if not where.exists():
                broken.append(f"{name} (no such file)")
            elif fragment and where.suffix == ".md" and fragment not in heading_anchors(where):
                broken.append(f"{name} (no such heading)")
    assert not broken, "broken links: " + "; ".join(broken)
