"""``policykb validity expire``: mark policies past their effective-to date 失效 (for cron)."""

import argparse

from kb.cli.context import Context
from kb.cli.parser import day
from kb.database.db import session_scope
from kb.models import Policy


def _line(policy: Policy) -> str:
    number = f"{policy.doc_number} " if policy.doc_number else ""
    # overdue() lists only policies with an effective-to date; a date prints as YYYY-MM-DD.
    return (f"  《{policy.title}》{number}有效期至 {policy.effective_to}"
            f"（政策 {policy.id}，第 {policy.version} 版）")


def cmd_expire(args: argparse.Namespace, ctx: Context) -> int:
    """Expire every published 有效 policy whose effective-to date is before today; print them."""
    from kb.clock import county_today
    from kb.library.validity import expire_overdue, overdue

    today = args.today or ctx.settings.validity_today or county_today()
    with session_scope(ctx.engine) as session:
        if args.dry_run:
            found = overdue(session=session, today=today)
        else:
            found = expire_overdue(session=session, today=today)
    verb = "将失效" if args.dry_run else "已失效"
    if not found:
        print(f"{today.isoformat()}：没有到期仍为“有效”的政策")
        return 0
    print(f"{today.isoformat()}：{len(found)} 项政策{verb}")
    for policy in found:
        print(_line(policy))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``validity`` commands to the ``policykb`` parser."""
    validity = sub.add_parser("validity", help="政策有效期（把过期政策标为失效）")
    vsub = validity.add_subparsers(dest="validity_command", metavar="ACTION", help="操作")
    vsub.required = True
    p = vsub.add_parser("expire", help="把已过有效期的已发布政策标为失效")
    p.add_argument("--today", type=day, default=None, metavar="YYYY-MM-DD",
                   help="按哪一天判断（默认：本县今天，北京时间）")
    p.add_argument("--dry-run", action="store_true", help="只列出将失效的政策，不作改动")
    p.set_defaults(handler=cmd_expire)
