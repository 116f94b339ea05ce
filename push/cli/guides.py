"""``policykb calc`` (the policy calculator) and ``policykb guides check|show``."""

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from kb.cli.context import Context
from kb.cli.parser import day
from kb.database.db import key, read_scope, session_scope
from kb.errors import InvalidInput
from push.settings import push_settings

if TYPE_CHECKING:
    from kb.authoring.workflow import Staff


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``calc`` and ``guides``."""
    calc = subparsers.add_parser("calc", help="政策计算器：企业可享受的政策及金额")
    calc.add_argument("--firm", required=True, metavar="USCC", help="统一社会信用代码")
    calc.add_argument("--year", type=int, help="申报年度（默认今年）")
    calc.add_argument("--json", action="store_true", help="输出JSON")
    calc.set_defaults(handler=cmd_calc)

    guides = subparsers.add_parser("guides", help="申兑指南：检查、起草、签署、逾期清单")
    actions = guides.add_subparsers(dest="guides_command", metavar="ACTION", help="操作")
    actions.required = True
    check = actions.add_parser("check", help="检查一份申兑指南（JSON）是否有误")
    check.add_argument("file", help="JSON文件")
    check.set_defaults(handler=cmd_check)

    draft = actions.add_parser("draft", help="起草一份申兑指南（进入拟稿→审核→发布流程）")
    draft.add_argument("file", help="JSON文件，含 mode、promised_days、beneficiaries、materials、"
                                    "where、phone、rules")
    draft.add_argument("--policy", type=int, required=True, metavar="ID", help="政策编号")
    draft.add_argument("--by", required=True, metavar="USERNAME", help="拟稿人的用户名")
    draft.set_defaults(handler=cmd_draft)

    sign = actions.add_parser("sign", help="提交、审核通过、退回或发布一份申兑指南草稿")
    sign.add_argument("revision", type=int, metavar="REVISION_ID", help="草稿编号")
    sign.add_argument("action", choices=("submit", "approve", "return", "publish"),
                      help="submit（提交审核）、approve（审核通过）、return（退回）、publish（发布）")
    sign.add_argument("--by", required=True, metavar="USERNAME", help="签署人的用户名")
    sign.add_argument("--comment", default="", help="审核意见（退回时必填）")
    sign.set_defaults(handler=cmd_sign)

    late = actions.add_parser("overdue", help="发布后逾期未出申兑指南的涉企政策")
    late.add_argument("--department", metavar="NAME", help="部门名称（默认全部）")
    late.add_argument("--today", type=day, metavar="YYYY-MM-DD", help="按哪天判断（默认今天）")
    late.add_argument("--json", action="store_true", help="输出JSON")
    late.set_defaults(handler=cmd_overdue)


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def cmd_calc(args: argparse.Namespace, ctx: Context) -> int:
    """Every policy with a guide, for one firm: amount, formula, instalments, what is missed."""
    from push.firms.registry import get_firm
    from push.guides.service import default_year
    from push.matching.firm_calc import firm_estimates

    year = args.year or default_year()
    with read_scope(ctx.engine) as session:
        firm = get_firm(session=session, uscc=args.firm)
        found = firm_estimates(session=session, firm=firm, year=year)
    found.sort(key=lambda e: (e.eligible is not True, -(e.amount or 0), e.policy_id))
    total = sum((e.amount for e in found if e.eligible and e.amount is not None), 0)
    if args.json:
        _print_json({"firm": {"uscc": firm.uscc, "name": firm.name}, "year": year,
                     "total": float(total), "policies": [e.to_dict() for e in found]})
        return 0
    print(f"{firm.uscc} {firm.name}（{year}年度）：预计可享 {float(total):g}万元")
    for e in found:
        if e.eligible:
            if e.amount is None:  # it pays, but the total cap's fact is missing
                raise ValueError(f"《{e.title}》的累计上限缺少数据：{'、'.join(e.missing)}")
            print(f"- [{e.policy_id}] {e.title}：{float(e.amount):g}万元")
            print(f"    {e.formula}")
            for i in e.instalments:
                print(f"    {i.year}年 {i.label} {i.amount:g}万元（{i.status}）")
        else:
            why = ([f"不符合：{'；'.join(e.missed)}"] if e.missed else []) + (
                [f"缺少数据：{'、'.join(e.missing)}（不按零计）"] if e.missing else [])
            print(f"- [{e.policy_id}] {e.title}：{'；'.join(why)}")
    return 0


def cmd_check(args: argparse.Namespace, ctx: Context) -> int:
    """Check a guide file against the fact catalog; exit 2 with the field named when wrong."""
    from push.facts.catalog import Catalog
    from push.guides.service import validate_guide

    path = Path(args.file)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"{path}: 不是可读的JSON：{exc}") from None
    with read_scope(ctx.engine) as session:
        clean = validate_guide(data if isinstance(data, dict) else {"rules": data},
                               Catalog.load(session))
    print(f"{path}: 规则无误（{len(clean['rules']['measures'])}项措施）")
    return 0


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"{path}: 不是可读的JSON：{exc}") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path}: 应为一个JSON对象")
    return data


def staff_named(session: Session, username: str) -> "Staff":
    from sqlmodel import select

    from kb.authoring.workflow import Staff
    from kb.staff.models import User

    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise InvalidInput(f"没有用户名为 {username} 的工作人员")
    return Staff(user, "cli")


def cmd_draft(args: argparse.Namespace, ctx: Context) -> int:
    """Start a guide draft for a policy."""
    from kb.authoring.workflow import start
    from push.guides.authoring import KIND

    data = _read_json(Path(args.file))
    with session_scope(ctx.engine) as session:
        rev = start(session=session, staff=staff_named(session, args.by), kind=KIND,
                    data=data, policy_id=args.policy)
        print(f"已起草申兑指南（草稿{rev.id}），请提交审核：policykb guides sign {rev.id} submit --by {args.by}")
    return 0


def cmd_sign(args: argparse.Namespace, ctx: Context) -> int:
    """One sign-off step on a guide draft."""
    from kb.authoring import workflow
    from push.guides.authoring import KIND

    with session_scope(ctx.engine) as session:
        staff = staff_named(session, args.by)
        rev = workflow.get_revision(session=session, revision_id=args.revision)
        if rev.kind != KIND:
            raise InvalidInput(f"草稿{rev.id}不是申兑指南")
        rid = key(rev)
        if args.action == "submit":
            workflow.submit(session=session, staff=staff, revision_id=rid)
        elif args.action == "approve":
            workflow.approve(session=session, staff=staff, revision_id=rid, comment=args.comment)
        elif args.action == "return":
            workflow.send_back(session=session, staff=staff, revision_id=rid, comment=args.comment)
        else:
            workflow.publish(session=session, staff=staff, revision_id=rid)
        print(f"草稿{rev.id}：{workflow.STATUS_LABELS[rev.status]}")
    return 0


def cmd_overdue(args: argparse.Namespace, ctx: Context) -> int:
    """Enterprise policies whose guide is overdue."""
    from sqlmodel import select

    from kb.clock import county_today
    from kb.models import Department
    from push.guides.overdue import overdue_guides

    with read_scope(ctx.engine) as session:
        dept_id = None
        if args.department:
            dept_id = session.exec(select(Department.id).where(
                Department.name == args.department)).first()
            if dept_id is None:
                raise InvalidInput(f"没有名为 {args.department} 的部门")
        found = overdue_guides(session=session, today=args.today or county_today(),
                               days=push_settings(ctx.settings).guide_due_days, department_id=dept_id)
    if args.json:
        _print_json([o.to_dict() for o in found])
        return 0
    print(f"逾期未出申兑指南的涉企政策：{len(found)}项（发布后{push_settings(ctx.settings).guide_due_days}个工作日内应出）")
    for o in found:
        print(f"- [{o.policy_id}] {o.title}（{o.department}）：应于{o.due}前，已逾期{o.days_late}个工作日")
    return 0
