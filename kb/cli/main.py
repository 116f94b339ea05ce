"""The ``policykb`` command line; each package registers its own sub-commands."""

import argparse
import sys
from collections.abc import Callable, Sequence

from kb import plugins
from kb.cli.context import Context
from kb.errors import KBError

Handler = Callable[[argparse.Namespace, Context], int | None]


def build_parser() -> argparse.ArgumentParser:
    """The full parser with every registered sub-command."""
    parser = argparse.ArgumentParser(
        prog="policykb", description="政策通 PolicyKB: policy knowledge base and enterprise push"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
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
        print(f"policykb: error: {exc.message}", file=sys.stderr)
        return 2
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return int(handler(args, Context(upgrade=getattr(args, "upgrade", False))) or 0)
    except KBError as exc:
        print(f"policykb: error: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into head/less that closed early
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
