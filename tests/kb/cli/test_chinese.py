"""Everything ``policykb`` says to a person is in Chinese: the help of every command at every depth
(push's groups and ``serve`` included, registered by entry point), argparse's own words, its
errors, and what the commands print. Identifiers stay: command and option names, metavars,
choices, ``KB_`` names, file names and anything in backticks."""

import argparse
import re
import unicodedata
from collections.abc import Collection, Iterator

import pytest

from kb.cli.main import build_parser, main

# Two or more ASCII words in a row: English prose, once the identifiers are taken out.
ENGLISH = re.compile(r"[A-Za-z]+(?:[ ,]+[A-Za-z]+)+")
HEADING = re.compile(r"^[A-Za-z][A-Za-z ]*:", re.MULTILINE)  # argparse's "usage:", "options:"


def parsers() -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Every parser of the tree, with its command path, root first."""
    todo = [("policykb", build_parser())]
    while todo:
        path, parser = todo.pop()
        yield path, parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                todo.extend((f"{path} {name}", sub) for name, sub in action.choices.items())


PARSERS = dict(parsers())


def names(parser: argparse.ArgumentParser) -> set[str]:
    """The identifiers a parser's help may show: command names, dests, metavars, choices."""
    found = {"policykb", *parser.prog.split()}
    for action in parser._actions:
        found.add(action.dest)
        found.update(re.findall(r"\w+", str(action.metavar or "")))
        found.update(str(c) for c in action.choices or ())
    return found


def prose(text: str, identifiers: Collection[str]) -> str:
    """``text`` with its identifiers replaced by a mark that ends any run of words."""
    text = re.sub(r"`[^`]*`|\{[^}]*\}", "·", text)  # code spans, choice lists
    text = re.sub(r"(?<![\w-])-{1,2}[A-Za-z][\w-]*", "·", text)  # options
    text = re.sub(r"\S*[./]\S*", "·", text)  # file names, paths, addresses, YYYY/MM
    return re.sub(r"\w+", lambda m: "·" if (m.group() in identifiers or m.group().isupper()
                                            or "_" in m.group()) else m.group(), text)


def english(text: str, identifiers: Collection[str] = ()) -> list[str]:
    """The English runs left in ``text``."""
    return ENGLISH.findall(prose(text, identifiers))


def width(line: str) -> int:
    """Terminal columns: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def test_the_tree_has_push_and_web_commands() -> None:
    for path in ("policykb push worker", "policykb applications holiday", "policykb direct stats",
                 "policykb serve", "policykb db revision", "policykb user add"):
        assert path in PARSERS


@pytest.mark.parametrize("path", sorted(PARSERS))
def test_every_help_is_chinese(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    parser = PARSERS[path]
    text = parser.format_help()
    assert text.startswith("用法："), text
    assert not HEADING.findall(text), text
    assert "位置参数：" in text or "选项：" in text
    found = english(text, names(parser))
    assert not found, f"`{path} -h` has English: {found}"
    texts = [parser.description or ""] + [action.help or "" for action in parser._actions]
    assert all(t == "" or not english(t, names(parser)) for t in texts)
    undescribed = [action.dest for action in parser._actions if not action.help]
    assert not undescribed, f"`{path}`: arguments without help: {undescribed}"
    wide = [line for line in text.splitlines() if width(line) > 80 and " " in line.strip()]
    assert not wide, f"`{path} -h` overflows an 80-column terminal: {wide}"


@pytest.mark.parametrize("argv, message", [
    (["ask"], "policykb ask 出错：缺少必填的参数：question"),
    (["db", "upgrade", "--to"], "policykb db upgrade 出错：参数 --to：需要填一个值"),
    (["eval", "--corpus", "c", "--queries", "q", "--mode", "best"],
     "参数 --mode：没有“best”这一项（可选：lexical、dense、hybrid、auto）"),
    (["ask", "问题", "--k", "five"], "参数 --k：“five”不是有效的整数"),
    (["ask", "问题", "--bogus"], "policykb 出错：无法识别的参数：--bogus"),
    (["match", "--policy", "1", "--firm", "x"], "参数 --firm：不能与参数 --policy 同时使用"),
    (["push", "remind", "--today", "2026-13-01"], "日期“2026-13-01”无法识别，请写成 YYYY-MM-DD"),
    (["nosuch"], "参数 COMMAND：没有“nosuch”这一项"),
])
def test_argparse_errors_are_chinese(argv: list[str], message: str,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert err.startswith("用法：policykb") and message in err
    assert not english(err.splitlines()[-1], {"policykb", *argv})


def test_help_exits_0_with_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["user", "add", "-h"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0
    assert "-h, --help" in out and "显示本帮助并退出" in out and "真实姓名" in out


def test_init_and_db_commands_report_in_chinese(cli_env, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init"]) == 0
    assert main(["db", "current"]) == 0
    assert main(["db", "check"]) == 0
    assert main(["db", "upgrade"]) == 0
    out = capsys.readouterr().out
    assert "数据文件夹：" in out and "数据库版本：" in out and "与数据模型一致" in out
    assert not english(out), out


def test_domain_errors_are_chinese(cli_env, tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backup", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"policykb 出错：{tmp_path} 是文件夹，请写出备份文件名\n"
    assert main(["db", "revision", "-m", "x", "--package", "web"]) == 2
    assert capsys.readouterr().err == "policykb 出错：包“web”没有迁移脚本；可选：kb、push\n"
    assert main(["restore", str(tmp_path / "none.tar.gz")]) == 2
    assert "policykb 出错：没有备份文件" in capsys.readouterr().err
