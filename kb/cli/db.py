"""``policykb db upgrade|current|check|revision``: the schema's migrations
(kb/database/schema.py)."""

import argparse
import sys

from sqlalchemy.engine import Engine

from kb.cli.context import Context
from kb.cli.parser import error_line
from kb.database import schema
from kb.database.db import make_engine
from kb.errors import InvalidInput


def _engine(ctx: Context) -> Engine:
    # Not ctx.engine: that refuses a database that is behind, which is what these commands handle.
    ctx.settings.ensure_dirs()
    return make_engine(ctx.settings.db_url)


def cmd_upgrade(args: argparse.Namespace, ctx: Context) -> int:
    """Bring the database to the head revision (or ``--to REV``)."""
    engine = _engine(ctx)
    before = schema.current(engine)
    schema.upgrade(engine, args.to)
    print(f"数据库版本：{before or '（空库）'} → {schema.current(engine)}")
    return 0


def cmd_current(args: argparse.Namespace, ctx: Context) -> int:
    """Print the database's revision and the one this code needs."""
    engine = _engine(ctx)
    print(f"数据库版本：{schema.current(engine) or '（无）'}")
    print(f"程序所需：  {schema.head()}")
    return 0


def cmd_check(args: argparse.Namespace, ctx: Context) -> int:
    """Exit 1, saying why, when the database is behind the code or the models differ from it."""
    problems = schema.check(_engine(ctx))
    for line in problems:
        print(error_line("policykb", line), file=sys.stderr)
    if not problems:
        print(f"数据库版本 {schema.head()}，与数据模型一致")
    return 1 if problems else 0


def cmd_downgrade(args: argparse.Namespace, ctx: Context) -> int:
    """Take the database back to ``REV`` (undoing a release; back it up first)."""
    engine = _engine(ctx)
    schema.downgrade(engine, args.revision)
    print(f"数据库现为版本 {schema.current(engine) or '（空库）'}")
    return 0


def cmd_revision(args: argparse.Namespace, ctx: Context) -> int:
    """Write a new revision with what the models changed since the head (autogenerate)."""
    from alembic import command

    from kb.database.db import writer

    locations = schema.version_locations()
    if args.package not in locations:
        raise InvalidInput(f"包“{args.package}”没有迁移脚本；可选：{'、'.join(locations)}")
    engine = _engine(ctx)
    schema.upgrade(engine)  # autogenerate compares the models with a database at the head
    with writer(engine).connect() as conn, conn.begin():
        cfg = schema.config(conn)
        cfg.cmd_opts = argparse.Namespace(quiet=True)  # alembic's English progress; ours follows
        written = command.revision(cfg, message=args.message, autogenerate=True,
                                   rev_id=args.rev_id or schema.next_revision_id(),
                                   version_path=str(locations[args.package]))
    script = written[0] if isinstance(written, list) else written
    if script is None:  # alembic returns None only when a revision hook dropped the revision
        raise schema.SchemaError("alembic 没有写出迁移脚本")
    print(f"已写出 {script.path}：请核对，再与数据模型的改动一起提交")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``db``."""
    p = sub.add_parser("db", help="数据库结构迁移：upgrade、current、check、downgrade、revision")
    actions = p.add_subparsers(dest="action", metavar="ACTION", help="操作")
    actions.required = True
    q = actions.add_parser("upgrade", help="把数据库迁移到程序所需的版本")
    q.add_argument("--to", default="head", metavar="REV", help="迁移到的版本号（默认 head：最新）")
    q.set_defaults(handler=cmd_upgrade)
    actions.add_parser("current", help="显示数据库的版本和程序所需的版本").set_defaults(
        handler=cmd_current)
    actions.add_parser("check", help="数据库不符合程序所需时说明原因，退出码为1").set_defaults(
        handler=cmd_check)
    q = actions.add_parser("downgrade", help="把数据库退回到版本 REV（base：空库）")
    q.add_argument("revision", metavar="REV", help="退回到的版本号")
    q.set_defaults(handler=cmd_downgrade)
    q = actions.add_parser("revision", help="按数据模型的改动自动生成迁移脚本")
    q.add_argument("-m", "--message", required=True, help="迁移脚本的说明")
    q.add_argument("--rev-id", default=None, help="新版本号（默认：下一个编号）")
    q.add_argument("--package", default="kb",
                   help="表有改动的包，脚本写入它的迁移目录（默认 kb；push 的表用 push）")
    q.set_defaults(handler=cmd_revision)
