"""``policykb backup FILE`` and ``policykb restore FILE`` (kb/operations/backup.py)."""

import argparse
import sys
from pathlib import Path

from kb.cli.context import Context
from kb.cli.parser import error_line
from kb.operations import backup


def cmd_backup(args: argparse.Namespace, ctx: Context) -> int:
    """Write a consistent backup while the service runs."""
    target = Path(args.file)
    if target.is_dir():
        print(error_line("policykb", f"{target} 是文件夹，请写出备份文件名"), file=sys.stderr)
        return 2
    manifest = backup.backup(ctx.settings, target)
    size = target.stat().st_size / 1e6
    vectors = sum(manifest["vectors"].values())
    key = {"file": "已包含", "environment": "未包含（在环境变量 KB_SECRET_KEY 中）"}[manifest["secret_key"]]
    print(f"备份已写出：{target}（{size:.1f} MB）")
    print(f"  数据库：{manifest['dialect']}，版本 {manifest['revision']}，"
          f"{len(manifest['tables'])} 张表共 {manifest['rows']:,} 行")
    print(f"  签名密钥：{key}")
    print(f"  向量：{vectors:,} 条（{'、'.join(manifest['vectors']) or '尚未计算'}）")
    return 0


# What a restore did with the signing key (kb.operations.backup.Restored.secret_key).
KEY_STATES = {"restored": "已恢复",
              "kept": "沿用本机 KB_SECRET_KEY（用备份中密钥签名的链接将无法验证）",
              "absent": "备份中没有（备份时密钥在 KB_SECRET_KEY 中：请在本机设置同一密钥）"}


def cmd_restore(args: argparse.Namespace, ctx: Context) -> int:
    """Restore a backup into this installation, then rebuild the indexes."""
    def say(line: str) -> None:
        print(f"  {line}", flush=True)

    done = backup.restore(ctx.settings, Path(args.file), force=args.force, say=say)
    moved = (f"版本 {done.revision}" if done.revision == done.migrated_to
             else f"版本 {done.revision}，已迁移到 {done.migrated_to}")
    print(f"已恢复 {args.file}：{done.tables} 张表共 {done.rows:,} 行（{moved}），"
          "各表行数与备份清单一致")
    print(f"  签名密钥：{KEY_STATES[done.secret_key]}")
    print(f"  向量：{done.vectors:,} 条已放入向量缓存")
    searcher = ctx.searcher()  # the database is at the head now: the context may open it
    searcher.ensure_fresh(force=True)
    n = searcher.lexical.n_docs if searcher.lexical else 0
    print(f"  索引：已重建，{n} 个段落")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``backup`` and ``restore``."""
    p = sub.add_parser("backup", help="备份（服务运行中也可备份，数据前后一致）",
                       description="把数据库（同一时刻的快照）、签名密钥、已计算的向量和本县的"
                                   "检索调优写入一个带清单的 .tar.gz 文件。")
    p.add_argument("file", metavar="FILE", help="要写出的备份文件，如 kb-2026-12-07.tar.gz")
    p.set_defaults(handler=cmd_backup)
    p = sub.add_parser("restore", help="从备份恢复（先停止服务）",
                       description="按备份时的数据库版本载入，再迁移到程序所需的版本，恢复签名密钥"
                                   "和向量，重建索引。数据库中已有数据时，不加 --force 不恢复。")
    p.add_argument("file", metavar="FILE", help="备份文件（policykb backup 写出的 .tar.gz）")
    p.add_argument("--force", action="store_true",
                   help="替换已有数据的数据库（请先备份它）")
    p.set_defaults(handler=cmd_restore)
