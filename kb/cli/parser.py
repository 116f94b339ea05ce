"""argparse in Chinese: one parser class (every sub-parser inherits it through ``parser_class``)
whose help headings, usage line, ``-h`` and error messages a county clerk can read.

argparse's own words come from ``gettext`` in its module; translating them globally would change
every other program's argparse in the process. Instead the headings and ``-h`` are set where the
parser makes them, and its errors, already formatted in English when they reach ``error()``, are
matched against argparse's message templates (Python 3.11's ``argparse.py``) and re-worded.
"""

import argparse
import re
import sys
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, NoReturn

USAGE = "用法："
HEADINGS = {"positionals": "位置参数", "optionals": "选项"}
HELP = "显示本帮助并退出"
_HEADING = re.compile(f"^({'|'.join(HEADINGS.values())}):$", re.MULTILINE)

# argparse's message templates (its msgids) and their Chinese; %(message)s is worded again.
MESSAGES = (
    ("argument %(argument_name)s: %(message)s", "参数 %(argument_name)s：%(message)s"),
    ("the following arguments are required: %s", "缺少必填的参数：%s"),
    ("one of the arguments %s is required", "以下参数须填其中一个：%s"),
    ("not allowed with argument %s", "不能与参数 %s 同时使用"),
    ("unrecognized arguments: %s", "无法识别的参数：%s"),
    ("invalid choice: %(value)r (choose from %(choices)s)", "没有“%(value)s”这一项（可选：%(choices)s）"),
    ("unknown parser %(parser_name)r (choices: %(choices)s)",
     "没有“%(parser_name)s”这一命令（可选：%(choices)s）"),
    ("invalid %(type)s value: %(value)r", "“%(value)s”不是有效的%(type)s"),
    ("expected one argument", "需要填一个值"),
    ("expected at most one argument", "最多填一个值"),
    ("expected at least one argument", "至少填一个值"),
    ("expected %s arguments", "需要填 %s 个值"),
    ("expected %s argument", "需要填 %s 个值"),
    ("ambiguous option: %(option)s could match %(matches)s", "选项 %(option)s 不明确，可能是：%(matches)s"),
    ("ignored explicit argument %r", "此选项不带值：%s"),
    ("can't open '%(filename)s': %(error)s", "无法打开“%(filename)s”：%(error)s"),
)
# Messages whose %s lists arguments (joined by ", " or " "): listed with 、 instead.
LISTS = {"the following arguments are required: %s", "one of the arguments %s is required"}
# What ``invalid %(type)s value`` names: the type function's __name__.
TYPE_NAMES = {"int": "整数", "float": "数字", "fromisoformat": "日期（YYYY-MM-DD）"}
_FIELD = re.compile(r"%(?:\((\w+)\))?[sr]")


def _pattern(template: str) -> re.Pattern[str]:
    """A regular expression matching what ``template`` formats to, one group per field."""
    out, last, n = [], 0, 0
    for m in _FIELD.finditer(template):
        out.append(re.escape(template[last:m.start()]))
        name = m.group(1) or f"_{n}"
        n += 1
        out.append(f"(?P<{name}>'.*?'|.*?)" if m.group().endswith("r") else f"(?P<{name}>.*?)")
        last = m.end()
    out.append(re.escape(template[last:]))
    return re.compile("".join(out), re.DOTALL)


# Each Chinese template with its fields named as the pattern's groups (``%s`` is ``_0``).
_MESSAGES = [(_pattern(en), _FIELD.sub(lambda f: f"%({f.group(1) or '_0'})s", zh), en in LISTS)
             for en, zh in MESSAGES]


def _unquote(value: str) -> str:
    return value[1:-1] if len(value) > 1 and value[0] == value[-1] == "'" else value


def translate(message: str) -> str:
    """argparse's English error ``message`` in Chinese (a message it does not know, as it is)."""
    for pattern, zh, listed in _MESSAGES:
        m = pattern.fullmatch(message)
        if m is None:
            continue
        fields = {k: v if k == "choices" else _unquote(v) for k, v in m.groupdict().items()}
        if listed:
            fields["_0"] = "、".join(re.split(r",? ", fields["_0"]))
        if "message" in fields:
            fields["message"] = translate(fields["message"])
        if "type" in fields:
            fields["type"] = TYPE_NAMES.get(fields["type"], "值")
        if "choices" in fields:
            fields["choices"] = "、".join(_unquote(c.strip()) for c in fields["choices"].split(","))
        return zh % fields
    return message


def error_line(prog: str, message: str) -> str:
    """How every command's error reads on stderr."""
    return f"{prog} 出错：{message}"


def _width(text: str) -> int:
    """Terminal columns: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


# Characters a line must not start with (Chinese typesetting: punctuation stays with its text).
_NO_START = set("，。、；：？！）》」』”’,.;:?!)]")


class ChineseHelpFormatter(argparse.HelpFormatter):
    """Usage prefix in Chinese, and help wrapped by terminal columns (Chinese has no spaces)."""

    def _format_usage(self, usage: str | None, actions: Iterable[argparse.Action],
                      groups: Iterable[argparse._MutuallyExclusiveGroup], prefix: str | None) -> str:
        """As argparse's, headed 用法：, wrapped by terminal columns (the prefix is two wide)."""
        shown = USAGE if prefix is None else prefix
        blank = " " * _width(shown)  # argparse counts characters; wraps and indents by this
        return shown + super()._format_usage(usage, actions, groups, blank)[len(blank):]

    def _split_lines(self, text: str, width: int) -> list[str]:
        if not text.strip():
            return []
        lines = [""]
        for token in re.findall(r"[!-~]+| +|[^ -~]", self._whitespace_matcher.sub(" ", text).strip()):
            line = lines[-1]
            if token == " " * len(token):
                lines[-1] = line + " " if line else line
            elif not line or _width(line) + _width(token) <= width or token[0] in _NO_START:
                lines[-1] = line + token
            else:
                lines[-1] = line.rstrip()
                lines.append(token)
        if len(lines) > 1 and _width(lines[-1]) <= 2 and _width(lines[-2][-1:]) == 2:
            lines[-2:] = [lines[-2][:-1], lines[-2][-1] + lines[-1]]  # no lone character at the end
        return [line.rstrip() for line in lines]

    def format_help(self) -> str:
        """As argparse's, with the headings ending in a Chinese colon."""
        return _HEADING.sub(r"\1：", super().format_help())

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(indent + line for line in self._split_lines(text, width - len(indent)))


class ChineseArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser that speaks Chinese; its sub-parsers are made of this class too."""

    def __init__(self, prog: str | None = None, *, add_help: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", ChineseHelpFormatter)
        super().__init__(prog, add_help=False, **kwargs)
        self._positionals.title = HEADINGS["positionals"]
        self._optionals.title = HEADINGS["optionals"]
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help=HELP)

    def error(self, message: str) -> NoReturn:
        """Print the usage and the message in Chinese; exit 2."""
        self.print_usage(sys.stderr)
        self.exit(2, error_line(self.prog, translate(message)) + "\n")


def day(text: str) -> date:
    """An argument type: a date written YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期“{text}”无法识别，请写成 YYYY-MM-DD") from None


def moment(text: str) -> datetime:
    """An argument type: a date and time written YYYY-MM-DDTHH:MM (or a date)."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"时刻“{text}”无法识别，请写成 YYYY-MM-DDTHH:MM，如 2026-12-08T09:30") from None
