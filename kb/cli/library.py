"""Library commands: init, ingest, and the demo."""

import argparse
from pathlib import Path
from typing import Protocol

from kb import plugins
from kb.cli.context import Context
from kb.database.db import session_scope
from kb.demo import demo_files
from kb.library.index_state import database_identity
from kb.library.ingest import IngestReport, ingest_paths
from kb.library.limits import IngestLimits
from kb.staff.models import ROLE_LABELS, Role


class Serve(Protocol):
    """The ``policykb.serve`` entry point: serve the web application until stopped."""

    def __call__(self, ctx: Context, *, host: str, port: int) -> int: ...


def seed(ctx: Context) -> list[str]:
    """Give the database the rows every installation starts with (``policykb.seeds``: push's
    holidays); adds only what is missing. Returns the seeds' report lines."""
    with session_scope(ctx.engine) as session:
        return [line for module in plugins.load("seeds") if (line := module.seed(session))]


def cmd_init(args: argparse.Namespace, ctx: Context) -> int:
    """Create the data folder, the database schema and the index folder."""
    ctx.engine  # noqa: B018  (creating it creates the folders and schema)
    lines = seed(ctx)
    print(f"数据文件夹：{ctx.settings.home.resolve()}")
    print(f"数据库：    {ctx.settings.db_url}")
    print(f"索引文件夹：{ctx.settings.index_dir.resolve()}")
    print(f"数据库标识：{database_identity(ctx.engine)}")
    for line in lines:
        print(line)
    return 0


def _print_report(report: IngestReport) -> None:
    for label, titles in (("新增", report.created), ("更新", report.updated),
                          ("未变", report.unchanged)):
        for title in titles:
            print(f"  {label} {title}")
    print(f"新增 {len(report.created)} 篇，更新 {len(report.updated)} 篇，"
          f"未变 {len(report.unchanged)} 篇；知识库共 {report.passages} 个段落")


def cmd_ingest(args: argparse.Namespace, ctx: Context) -> int:
    """Ingest documents and JSONL files; nothing is written if any input is bad."""
    with session_scope(ctx.engine) as session:
        report = ingest_paths(session=session, paths=[Path(p) for p in args.paths],
                              limits=IngestLimits.from_settings(ctx.settings))
    if report.changed:
        ctx.searcher().ensure_fresh()  # build the index now, not on the first question
    _print_report(report)
    return 0


# Demo staff of one department, so the sign-off workflow can be tried at once. Names are people's
# names: sign-offs print them after the role (拟稿人：张明), so a role in the name would say it twice.
DEMO_STAFF = (("kj-drafter", "张明", ["drafter"]), ("kj-reviewer", "李华", ["reviewer"]),
              ("kj-publisher", "王芳", ["publisher"]), ("kj-handler", "赵敏", ["handler"]),
              ("admin", "陈静", ["admin"]))


def demo_staff(ctx: Context) -> str | None:
    """Create the demo staff accounts in an installation that has none; returns their password."""
    import secrets

    from sqlmodel import select

    from kb.staff.accounts import create_user
    from kb.staff.audit import Actor
    from kb.staff.models import User

    with session_scope(ctx.engine) as session:
        if session.exec(select(User.id)).first() is not None:
            return None
        password = secrets.token_urlsafe(9)
        actor = Actor(None, "demo", "演示数据", "cli")
        for username, name, roles in DEMO_STAFF:
            create_user(session=session, actor=actor, username=username, name=name,
                        password=password, department=None if roles == ["admin"] else "县科技局",
                        roles=roles)
    return password


def cmd_demo(args: argparse.Namespace, ctx: Context) -> int:
    """Load the bundled demo data, then serve it (or print how to ask, with --no-serve)."""
    for line in seed(ctx):  # a demo run without init first gets what init would have added
        print(line)
    with session_scope(ctx.engine) as session:
        report = ingest_paths(session=session, paths=demo_files())
    ctx.searcher().ensure_fresh()
    _print_report(report)
    password = demo_staff(ctx)
    print("\n演示账号（县科技局；仅供本机演示，正式使用请用 policykb user add 建号）：")
    for username, name, roles in DEMO_STAFF:
        print(f"  {username:13} {name}（{'、'.join(ROLE_LABELS[Role(r)] for r in roles)}）")
    if password:
        print(f"  密码（各账号相同）：{password}    登录：/admin/login")
    else:  # a second run: the accounts (and their password) are the ones made the first time
        print("  账号已存在，密码为首次运行 policykb demo 时显示的那个；忘记了可重设："
              "policykb user passwd 用户名    登录：/admin/login")
    # Packages built on the knowledge base add their own demo data (push: firms, applications);
    # their command groups hang these on the demo parser, so kb names none of them.
    for hook in getattr(args, "demo_hooks", ()):
        hook(ctx)
    serve = None if args.no_serve else _server()
    if serve is None:
        print('\n试一试：policykb ask "高新技术企业认定后有什么奖励？"')
        return 0
    return serve(ctx, host=args.host, port=args.port)


def _server() -> Serve | None:
    """The web package's serve function (by entry point), or None without the web extras."""
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ModuleNotFoundError:
        print('\n（未安装网页服务组件，无法启动网站；请先运行 pip install -e ".[web]"）')
        return None
    servers = plugins.load("serve")
    return servers[0] if servers else None


def register(sub: argparse._SubParsersAction) -> None:
    """Add the knowledge-base commands to the ``policykb`` parser."""
    p = sub.add_parser("init", help="建立数据文件夹、数据库和索引文件夹")
    p.add_argument("--upgrade", action="store_true",
                   help="数据库由旧版本建立时，迁移到新版本（不加则拒绝使用）")
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("ingest", help="导入政策文件（.txt .md .html .docx .pdf）、文件夹或 JSONL")
    p.add_argument("paths", nargs="+", metavar="PATH", help="文件或文件夹的路径，可写多个")
    p.set_defaults(handler=cmd_ingest)

    p = sub.add_parser("demo", help="载入自带的演示知识库并启动网站")
    p.add_argument("--no-serve", action="store_true", help="只载入演示数据，不启动网站")
    p.add_argument("--host", default="127.0.0.1", help="网站监听的地址（默认 127.0.0.1：仅本机）")
    p.add_argument("--port", type=int, default=8000, help="网站监听的端口（默认 8000）")
    p.set_defaults(handler=cmd_demo)

