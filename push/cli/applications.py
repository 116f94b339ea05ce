"""``policykb applications ...``: add, advance, show, queue, import, stats, promises, holidays."""

import argparse
import json
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, select

from kb.cli.context import Context
from kb.cli.parser import day
from kb.database.db import session_scope
from kb.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from push.applications.service import Handler


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _handler(session: Session, name: str | None) -> "Handler":
    """The staff member ``--by`` names (username, or a unique real name); the system without one."""
    from kb.staff.models import User
    from push.applications.service import SYSTEM_HANDLER, handler_for

    if not name:
        return SYSTEM_HANDLER
    user = session.exec(select(User).where(User.username == name.strip().lower())).first()
    if user is None:
        named = session.exec(select(User).where(User.name == name.strip())).all()
        user = named[0] if len(named) == 1 else None
    if user is None:
        raise NotFound(f"没有用户名或姓名为 {name} 的工作人员账号（policykb user list 查看）")
    return handler_for(user, "cli")


def cmd_add(args: argparse.Namespace, ctx: Context) -> int:
    """Create an application at 已提交 and print its tracking number."""
    from push.applications.service import create

    with session_scope(ctx.engine) as session:
        app = create(session=session, handler=_handler(session, args.by), uscc=args.firm,
                     policy_id=args.policy, amount=args.amount, note=args.note,
                     late_reason=args.late_reason)
        ref = app.ref
    if args.json:
        _print_json({"ref": ref})
    else:
        print(f"已登记申报，编号 {ref}")
    return 0


def _show(ctx: Context, ref: str, as_json: bool) -> int:
    from push.applications.service import get_application
    from push.applications.views import track

    with session_scope(ctx.engine) as session:
        data = track(session=session,
                     application=get_application(session=session, ref=ref)).to_dict()
    if as_json:
        _print_json(data)
        return 0
    print(f"{data['ref']} {data['firm']['name']} 《{data['policy']['title']}》 当前：{data['label']}"
          + ("（已超期）" if data["overdue"] else ""))
    for n in data["nodes"]:
        due = f" 承诺{n['due']}前" if n["due"] else ""
        late = " 已超期" if n["overdue"] else ""
        print(f"  {n['at'][:16]} {n['label']} {n['department']} {n['by']}{due}{late} {n['note']}")
    return 0


def cmd_advance(args: argparse.Namespace, ctx: Context) -> int:
    """Move an application to a node."""
    from push.applications.service import advance, parse_node

    to = parse_node(args.to)
    with session_scope(ctx.engine) as session:
        advance(session=session, handler=_handler(session, args.by), ref=args.ref, to=to,
                note=args.note, amount=args.amount, paid_on=args.paid_on,
                supply_by=args.supply_by, correction=args.correct)
    return _show(ctx, args.ref, args.json)


def cmd_show(args: argparse.Namespace, ctx: Context) -> int:
    """Print an application with its nodes in order."""
    return _show(ctx, args.ref, args.json)


def cmd_queue(args: argparse.Namespace, ctx: Context) -> int:
    """Open applications, overdue first."""
    from kb.staff.accounts import find_department
    from push.applications.service import parse_node
    from push.applications.views import queue

    with session_scope(ctx.engine) as session:
        dept_id = None
        if args.department:
            dept = find_department(session=session, name=args.department)
            if dept is None:
                raise NotFound(f"没有名为 {args.department} 的部门")
            dept_id = dept.id
        items = queue(session=session, department_id=dept_id,
                      node=parse_node(args.node) if args.node else None)
        rows = [t.to_dict() for t in items]
    if args.json:
        _print_json(rows)
    for r in [] if args.json else rows:
        print(f"{r['ref']}\t{r['label']}\t{'已超期' if r['overdue'] else ''}\t{r['firm']['name']}"
              f"\t{r['policy']['title']}")
    return 0


def cmd_import(args: argparse.Namespace, ctx: Context) -> int:
    """Import applications from CSV, all or nothing."""
    from push.applications.imports import import_applications

    with session_scope(ctx.engine) as session:
        refs = import_applications(session=session, path=args.file,
                                   handler=_handler(session, args.by))
    if args.json:
        _print_json({"created": len(refs), "refs": [ref for _, ref in refs]})
    else:
        print(f"{args.file}: 已登记{len(refs)}件申报")
        for line, ref in refs:
            print(f"  第{line}行 {ref}")
    return 0


def cmd_stats(args: argparse.Namespace, ctx: Context) -> int:
    """Applications per node, days per node and on-time shares, per policy or department."""
    from push.applications.stats import stats, stats_csv, stats_text

    with session_scope(ctx.engine) as session:
        rows = stats(session=session, by=args.by)
    if args.csv:
        print(stats_csv(rows), end="")
    elif args.json:
        _print_json([r.to_dict() for r in rows])
    else:
        print(stats_text(rows), end="")
    return 0


def cmd_promise(args: argparse.Namespace, ctx: Context) -> int:
    """Set a node's promised working days for a policy or a department."""
    from kb.staff.accounts import find_department
    from push.applications.service import parse_node, set_promise

    with session_scope(ctx.engine) as session:
        dept_id = None
        if args.department:
            dept = find_department(session=session, name=args.department)
            if dept is None:
                raise NotFound(f"没有名为 {args.department} 的部门")
            dept_id = dept.id
        set_promise(session=session, node=parse_node(args.node), days=args.days,
                    policy_id=args.policy, department_id=dept_id)
    print(f"已设置：{args.node} 承诺{args.days}个工作日")
    return 0


def cmd_holiday(args: argparse.Namespace, ctx: Context) -> int:
    """Enter a holiday or a weekend working day, or clear one; or import or list them."""
    from push.calendar.days import clear_day, set_day

    if args.day in ("import", "list"):
        if args.workday or args.name or args.clear:
            raise InvalidInput(f"holiday {args.day} 不接受 --workday、--name、--clear")
        return (_holiday_import if args.day == "import" else _holiday_list)(args, ctx)
    if args.file is not None or args.year is not None:
        raise InvalidInput("FILE 和 --year 只用于 holiday import / holiday list")
    try:
        day = date.fromisoformat(args.day)
    except ValueError:
        raise InvalidInput(f"日期应为YYYY-MM-DD，或 import FILE、list：{args.day}") from None
    with session_scope(ctx.engine) as session:
        if args.clear:
            clear_day(session=session, day=day)
        else:
            set_day(session=session, day=day, workday=args.workday, name=args.name or "")
    state = "恢复按星期计" if args.clear else ("调休上班" if args.workday else "放假")
    print(f"{day.isoformat()}：{state}")
    return 0


def _holiday_import(args: argparse.Namespace, ctx: Context) -> int:
    """Load a clerk's CSV or JSON of holidays and weekend working days, all or nothing."""
    from push.calendar.holidays import import_file

    if args.file is None:
        raise InvalidInput("holiday import 需要一个文件：date,workday,name 的CSV或JSON")
    with session_scope(ctx.engine) as session:
        report = import_file(session=session, path=args.file)
    if args.json:
        _print_json(vars(report))
    else:
        print(f"{args.file}：新增{report.added}天，修改{report.changed}天，"
              f"{report.unchanged}天未变")
    return 0


def _holiday_list(args: argparse.Namespace, ctx: Context) -> int:
    """Print the county's holidays and weekend working days."""
    from push.calendar.holidays import days

    if args.file is not None:
        raise InvalidInput("holiday list 不接受文件；按年份看用 --year")
    with session_scope(ctx.engine) as session:
        rows = [{"date": d.day.isoformat(), "workday": d.workday, "name": d.name}
                for d in days(session=session, year=args.year)]
    if args.json:
        _print_json(rows)
    for r in [] if args.json else rows:
        print(f"{r['date']}\t{'调休上班' if r['workday'] else '放假'}\t{r['name']}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``policykb applications``."""
    from push.applications.models import NODE_LABELS

    nodes = "、".join(f"{node.value}（{label}）" for node, label in NODE_LABELS.items())
    group = subparsers.add_parser("applications", help="政策申报：登记、流转、查询、统计（快递式公开）")
    actions = group.add_subparsers(dest="applications_command", metavar="ACTION", help="操作")
    actions.required = True

    p = actions.add_parser("add", help="登记一件申报（已提交）")
    p.add_argument("--firm", required=True, metavar="USCC", help="统一社会信用代码")
    p.add_argument("--policy", required=True, type=int, metavar="ID", help="政策编号")
    p.add_argument("--late-reason", metavar="TEXT",
                   help="申报期截止后补录的理由（记入审计）；其他情形不能补录")
    p.add_argument("--amount", type=float, help="申请金额（万元）")
    p.add_argument("--by", metavar="NAME", help="经办人的用户名或姓名（不填：企业在线提交）")
    p.add_argument("--note", help="给申报企业的说明")
    p.add_argument("--json", action="store_true", help="输出JSON")
    p.set_defaults(handler=cmd_add)

    p = actions.add_parser("advance", help="把申报转到下一节点")
    p.add_argument("ref", help="申报编号")
    p.add_argument("--to", required=True, metavar="NODE", help=f"转到的节点：{nodes}")
    p.add_argument("--by", required=True, metavar="NAME", help="经办人的用户名或姓名")
    p.add_argument("--note", help="给申报企业的说明（退回写补正材料，不予支持写理由）")
    p.add_argument("--amount", type=float, help="核定或拨付金额（万元）")
    p.add_argument("--paid-on", type=day, metavar="YYYY-MM-DD", help="拨付日期（默认今天）")
    p.add_argument("--supply-by", type=day, metavar="YYYY-MM-DD", help="补正期限（默认10个工作日）")
    p.add_argument("--correct", action="store_true", help="更正：修改当前节点或撤回上一步")
    p.add_argument("--json", action="store_true", help="输出JSON")
    p.set_defaults(handler=cmd_advance)

    p = actions.add_parser("show", help="查看申报及各节点")
    p.add_argument("ref", help="申报编号")
    p.add_argument("--json", action="store_true", help="输出JSON")
    p.set_defaults(handler=cmd_show)

    p = actions.add_parser("queue", help="待办申报（超期在前）")
    p.add_argument("--department", metavar="NAME", help="部门名称")
    p.add_argument("--node", help=f"只看某一节点：{nodes}")
    p.add_argument("--json", action="store_true", help="输出JSON")
    p.set_defaults(handler=cmd_queue)

    p = actions.add_parser("import", help="从CSV批量登记申报（全部成功才保存）")
    p.add_argument("file", help="申报CSV文件")
    p.add_argument("--by", metavar="NAME", help="经办人的用户名或姓名")
    p.add_argument("--json", action="store_true", help="输出JSON")
    p.set_defaults(handler=cmd_import)

    p = actions.add_parser("stats", help="各节点件数、用时中位数与90分位、按时率、金额")
    p.add_argument("--by", choices=("policy", "department"), default="policy",
                   help="按政策（policy，默认）或按部门（department）统计")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--csv", action="store_true", help="输出CSV")
    out.add_argument("--json", action="store_true", help="输出JSON")
    p.set_defaults(handler=cmd_stats)

    p = actions.add_parser("promise", help="设置某节点的承诺工作日")
    p.add_argument("--node", required=True, help=f"节点：{nodes}")
    p.add_argument("--days", required=True, type=int, help="承诺的工作日数")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--policy", type=int, metavar="ID", help="政策编号（只对这项政策）")
    which.add_argument("--department", metavar="NAME", help="部门名称（对该部门的全部政策）")
    p.set_defaults(handler=cmd_promise)

    p = actions.add_parser("holiday", help="维护节假日与调休上班日（单日设置、从文件导入、列出）")
    p.add_argument("day", metavar="DAY|import|list",
                   help="日期YYYY-MM-DD；import FILE 导入date,workday,name的CSV或JSON；list 列出")
    p.add_argument("file", nargs="?", metavar="FILE", help="import 的文件")
    p.add_argument("--workday", action="store_true", help="周末调休上班")
    p.add_argument("--name", help="如“春节”")
    p.add_argument("--clear", action="store_true", help="删除该日的设置")
    p.add_argument("--year", type=int, help="list：只列这一年")
    p.add_argument("--json", action="store_true", help="输出JSON")
    p.set_defaults(handler=cmd_holiday)
