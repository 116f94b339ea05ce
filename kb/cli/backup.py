"""``policykb backup FILE`` and ``policykb restore FILE`` (kb/operations/backup.py)."""

import argparse
import sys
from pathlib import Path

from kb.cli.context import Context
from kb.operations import backup


def cmd_backup(args: argparse.Namespace, ctx: Context) -> int:
    """Write a consistent backup while the service runs."""
    target = Path(args.file)
    if target.is_dir():
        print(f"policykb: error: {target} is a folder: name the backup file", file=sys.stderr)
        return 2
    manifest = backup.backup(ctx.settings, target)
    size = target.stat().st_size / 1e6
    vectors = sum(manifest["vectors"].values())
    key = {"file": "included", "environment": "not included (KB_SECRET_KEY)"}[manifest["secret_key"]]
    print(f"backup written: {target} ({size:.1f} MB)")
    print(f"  database:   {manifest['dialect']}, revision {manifest['revision']}, "
          f"{manifest['rows']:,} rows in {len(manifest['tables'])} tables")
    print(f"  secret key: {key}")
    print(f"  vectors:    {vectors:,} ({', '.join(manifest['vectors']) or 'none computed yet'})")
    return 0


def cmd_restore(args: argparse.Namespace, ctx: Context) -> int:
    """Restore a backup into this installation, then rebuild the indexes."""
    def say(line: str) -> None:
        print(f"  {line}", flush=True)

    done = backup.restore(ctx.settings, Path(args.file), force=args.force, say=say)
    moved = (f"revision {done.revision}" if done.revision == done.migrated_to
             else f"revision {done.revision}, migrated to {done.migrated_to}")
    print(f"restored {args.file}: {done.rows:,} rows in {done.tables} tables ({moved}), "
          "every table's count as the backup's manifest says")
    print(f"  secret key: {done.secret_key}")
    print(f"  vectors:    {done.vectors:,} added to the vector cache")
    searcher = ctx.searcher()  # the database is at the head now: the context may open it
    searcher.ensure_fresh(force=True)
    n = searcher.lexical.n_docs if searcher.lexical else 0
    print(f"  indexes:    rebuilt, {n} passages")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``backup`` and ``restore``."""
    p = sub.add_parser("backup", help="write a consistent backup while the service runs",
                       description="Database (one snapshot), signing key, computed vectors and "
                                   "the county's tuning, in one .tar.gz with a manifest.")
    p.add_argument("file", metavar="FILE", help="the backup file to write (e.g. kb-2026-12-07.tar.gz)")
    p.set_defaults(handler=cmd_backup)
    p = sub.add_parser("restore", help="restore a backup (stop the service first)",
                       description="Loads the backup at its schema revision, migrates it up, "
                                   "restores the signing key and vectors, rebuilds the indexes. "
                                   "Refuses a database that already holds data without --force.")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--force", action="store_true",
                   help="replace a database that already holds data (back it up first)")
    p.set_defaults(handler=cmd_restore)
