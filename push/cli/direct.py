"""``policykb direct ...``: 免申即享 lists generated, reviewed and published from the command line."""

import argparse
import json
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from kb.cli.context import Context
from kb.database.db import read_scope, session_scope
from push.settings import push_settings

if TYPE_CHECKING:
    from kb.authoring.workflow import Staff
    from push.direct.models import DirectList


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``direct list|show|review|publish``."""
    direct = subparsers.add_parser("direct", help="免申即享：生成、审核、发布兑现名单")
    actions = direct.add_subparsers(dest="direct_command", metavar="ACTION", help="操作")
    actions.required = True

    gen = actions.add_parser("list", help="按企业数据生成一项政策某期的免申即享名单（待审核）")
    gen.add_argument("--policy", type=int, required=True, metavar="ID", help="政策编号")
    gen.add_argument("--period", required=True, help="期次，如 2026")
    gen.add_argument("--by", metavar="USERNAME", help="生成人的用户名（默认“系统”）")
    gen.add_argument("--json", action="store_true", help="输出JSON")
    gen.set_defaults(handler=cmd_list)

    show = actions.add_parser("show", help="查看一份名单")
    show.add_argument("list_id", type=int, metavar="LIST_ID", help="名单编号")
    show.add_argument("--json", action="store_true", help="输出JSON")
    show.set_defaults(handler=cmd_show)

    rev = actions.add_parser("review", help="审核名单（审核人，不能是生成人）")
    rev.add_argument("list_id", type=int, metavar="LIST_ID", help="名单编号")
    rev.add_argument("--by", required=True, metavar="USERNAME", help="审核人的用户名")
    rev.add_argument("--return", dest="send_back", action="store_true", help="退回（须写 --comment）")
    rev.add_argument("--comment", default="", help="审核意见（退回时必填）")
    rev.set_defaults(handler=cmd_review)

    pub = actions.add_parser("publish", help="发布名单：每家企业一件已核定的申报和一条通知")
    pub.add_argument("list_id", type=int, metavar="LIST_ID", help="名单编号")
    pub.add_argument("--by", required=True, metavar="NAME", help="发布人的用户名")
    pub.add_argument("--json", action="store_true", help="输出JSON")
    pub.set_defaults(handler=cmd_publish)

    st = actions.add_parser("stats", help="直达快享统计：按政策或部门（符合企业、免申/申报、金额、兑现工作日、逾期指南）")
    st.add_argument("--by", choices=("policy", "department"), default="policy",
                    help="按政策（policy，默认）或按部门（department）统计")
    st.add_argument("--year", type=int, help="测算年度（默认今年）")
    st.add_argument("--csv", action="store_true", help="输出CSV")
    st.add_argument("--json", action="store_true", help="输出JSON")
    st.set_defaults(handler=cmd_stats)


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def list_dict(session: Session, lst: "DirectList", with_entries: bool = True) -> dict[str, Any]:
    """A list as JSON (push.direct.views)."""
    from push.direct.views import list_dict as as_dict

    return as_dict(session, lst, with_entries=with_entries)


def _user(session: Session, username: str) -> "Staff":
    from push.cli.guides import staff_named

    return staff_named(session, username)


def cmd_list(args: argparse.Namespace, ctx: Context) -> int:
    """Generate a list."""
    from push.direct.service import generate

    with session_scope(ctx.engine) as session:
        by = _user(session, args.by).user.name if args.by else "系统"
        lst = generate(session=session, policy_id=args.policy, period=args.period, by=by)
        data = list_dict(session, lst, with_entries=args.json)
    if args.json:
        _print_json(data)
        return 0
    d = lst.diff
    print(f"名单{lst.id}（政策{lst.policy_id}，{lst.period}）：{lst.firms}家企业，合计{lst.total:g}万元，待审核")
    print(f"  与已兑现相比：新增{d['added']}项，已兑现{d['already_paid']}项（不再重复兑现），"
          f"金额变化{len(d['changed'])}项，不再符合{len(d['dropped'])}项")
    prev = d.get("previous")
    if prev:
        print(f"  与上一份名单{prev['list_id']}相比：新增{len(prev['added'])}家，移出{len(prev['removed'])}家，"
              f"金额变化{len(prev['changed'])}家，未变{prev['unchanged']}家")
        for c in prev["changed"]:
            print(f"    {c['uscc']} {c['name']}：{c['before']:g} → {c['after']:g}万元")
        for c in prev["added"]:
            print(f"    + {c['uscc']} {c['name']}：{c['amount']:g}万元")
        for c in prev["removed"]:
            print(f"    - {c['uscc']} {c['name']}：原{c['amount']:g}万元")
    return 0


def cmd_show(args: argparse.Namespace, ctx: Context) -> int:
    """Show a list."""
    from push.direct.service import get_list

    with read_scope(ctx.engine) as session:
        data = list_dict(session, get_list(session=session, list_id=args.list_id))
    if args.json:
        _print_json(data)
        return 0
    print(f"名单{data['id']}（{data['status']}）：{data['firms']}家，合计{data['total']:g}万元")
    for e in data["entries"]:
        print(f"  {e['uscc']} {e['name']} {e['measure']} {e['amount']:g}万元：{e['formula']}")
    return 0


def cmd_review(args: argparse.Namespace, ctx: Context) -> int:
    """Pass or return a list."""
    from push.direct.service import review

    with session_scope(ctx.engine) as session:
        lst = review(session=session, staff=_user(session, args.by), list_id=args.list_id,
                     approve=not args.send_back, comment=args.comment)
        print(f"名单{lst.id}：{'已退回' if args.send_back else '审核通过，待发布'}")
    return 0


def cmd_publish(args: argparse.Namespace, ctx: Context) -> int:
    """Publish a list: applications at 已核定 and their notices, never twice."""
    from push.direct.service import publish

    with session_scope(ctx.engine) as session:
        report = publish(session=session, staff=_user(session, args.by), list_id=args.list_id)
    if args.json:
        _print_json(report.to_dict())
        return 0
    print(f"名单{report.list_id}已发布：新建已核定申报{len(report.applications)}件，"
          f"已兑现过的{report.already_paid}项未重复兑现")
    return 0


def cmd_stats(args: argparse.Namespace, ctx: Context) -> int:
    """Statistics per policy or department."""
    from kb.clock import county_today
    from push.direct.stats import direct_stats, stats_csv

    today = county_today()
    with read_scope(ctx.engine) as session:
        rows = direct_stats(session=session, today=today, year=args.year or today.year,
                            guide_days=push_settings(ctx.settings).guide_due_days, by=args.by)
    if args.csv:
        print(stats_csv(rows).lstrip("\ufeff"), end="")
    elif args.json:
        _print_json([r.to_dict() for r in rows])
    else:
        for r in rows:
            d = r.to_dict()
            print("；".join(f"{k}：{v}" for k, v in d.items() if v not in (None, "", 0, 0.0)))
    return 0
