"""The ``policykb`` command line; each package registers its own sub-commands."""

import argparse
import sys
from collections.abc import Callable, Sequence

from pydantic import ValidationError

from kb import plugins
from kb.cli.context import Context
from kb.cli.parser import ChineseArgumentParser, error_line
from kb.config import Settings, section_kinds
from kb.errors import KBError

Handler = Callable[[argparse.Namespace, Context], int | None]


def build_parser() -> argparse.ArgumentParser:
    """The full parser with every registered sub-command."""
    parser = ChineseArgumentParser(prog="policykb", description="政策通：政策知识库与涉企政策推送")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", help="命令（policykb 命令 -h 查看其用法）")
    sub.required = True
    from kb.cli import backup, db, library, search, users, validity

    for register in (db.register, library.register, search.register, users.register, validity.register,
                     backup.register,
                     *plugins.load("commands")):  # push's groups and ``serve``, by entry point
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse, run the handler, turn domain errors into a message and exit code 2."""
    try:
        plugins.require()  # before the parser, which the command groups extend
    except KBError as exc:
        print(error_line("policykb", exc.message), file=sys.stderr)
        return 2
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return int(handler(args, Context(upgrade=getattr(args, "upgrade", False))) or 0)
    except KBError as exc:
        print(error_line("policykb", exc.message), file=sys.stderr)
        return 2
    except ValidationError as exc:
        if exc.title not in {Settings.__name__, *(k.__name__ for k in section_kinds())}:
            raise  # a bug, not a setting
        print(error_line("policykb", settings_problem(exc)), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into head/less that closed early
        sys.stderr.close()
        return 0


def settings_problem(exc: ValidationError) -> str:
    """A settings error in an operator's words: each ``KB_`` variable and what is wrong with it."""
    parts = [(f"KB_{str(e['loc'][0]).upper()}：" if e["loc"] else "") + e["msg"]
             for e in exc.errors()]
    return "设置有误（环境变量 KB_…）：" + "；".join(parts)


if __name__ == "__main__":
    sys.exit(main())
