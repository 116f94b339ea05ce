"""``policykb db upgrade|current|check|revision``: the schema's migrations
(kb/database/schema.py)."""

import argparse
import sys

from sqlalchemy.engine import Engine

from kb.cli.context import Context
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
    print(f"database {before or '(empty)'} -> {schema.current(engine)}")
    return 0


def cmd_current(args: argparse.Namespace, ctx: Context) -> int:
    """Print the database's revision and the one this code needs."""
    engine = _engine(ctx)
    print(f"database: {schema.current(engine) or '(none)'}")
    print(f"code:     {schema.head()}")
    return 0


def cmd_check(args: argparse.Namespace, ctx: Context) -> int:
    """Exit 1, saying why, when the database is behind the code or the models differ from it."""
    problems = schema.check(_engine(ctx))
    for line in problems:
        print(f"policykb: {line}", file=sys.stderr)
    if not problems:
        print(f"database at {schema.head()}, as the models")
    return 1 if problems else 0


def cmd_downgrade(args: argparse.Namespace, ctx: Context) -> int:
    """Take the database back to ``REV`` (undoing a release; back it up first)."""
    engine = _engine(ctx)
    schema.downgrade(engine, args.revision)
    print(f"database now at {schema.current(engine) or '(empty)'}")
    return 0


def cmd_revision(args: argparse.Namespace, ctx: Context) -> int:
    """Write a new revision with what the models changed since the head (autogenerate)."""
    from alembic import command

    from kb.database.db import writer

    locations = schema.version_locations()
    if args.package not in locations:
        raise InvalidInput(f"no package {args.package!r} has migrations; "
                           f"choose one of: {', '.join(locations)}")
    engine = _engine(ctx)
    schema.upgrade(engine)  # autogenerate compares the models with a database at the head
    with writer(engine).connect() as conn, conn.begin():
        written = command.revision(schema.config(conn), message=args.message, autogenerate=True,
                                   rev_id=args.rev_id or schema.next_revision_id(),
                                   version_path=str(locations[args.package]))
    script = written[0] if isinstance(written, list) else written
    if script is None:  # alembic returns None only when a revision hook dropped the revision
        raise schema.SchemaError("alembic wrote no revision")
    print(f"wrote {script.path}: review it, then add it to the commit with the model change")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``db``."""
    p = sub.add_parser("db", help="database schema: upgrade, current, check, revision")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    q = actions.add_parser("upgrade", help="migrate the database to the code's revision")
    q.add_argument("--to", default="head", metavar="REV")
    q.set_defaults(handler=cmd_upgrade)
    actions.add_parser("current", help="the database's and the code's revision").set_defaults(
        handler=cmd_current)
    actions.add_parser("check", help="exit 1 when the database is not as the code needs").set_defaults(
        handler=cmd_check)
    q = actions.add_parser("downgrade", help="migrate the database back to REV (base: empty)")
    q.add_argument("revision", metavar="REV")
    q.set_defaults(handler=cmd_downgrade)
    q = actions.add_parser("revision", help="autogenerate a revision from the models' changes")
    q.add_argument("-m", "--message", required=True)
    q.add_argument("--rev-id", default=None, help="the new revision's id (default: the next number)")
    q.add_argument("--package", default="kb",
                   help="the package whose tables changed: the revision goes in its migrations "
                        "folder (default kb; push for push's tables)")
    q.set_defaults(handler=cmd_revision)
