"""``policykb firms ...``, ``policykb match ...`` and ``policykb checkup``."""

import argparse
import json
from typing import Any

from sqlalchemy.engine import Engine

from kb import clock
from kb.cli.context import Context
from kb.cli.parser import day
from kb.database.db import session_scope


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``firms``, ``match`` and ``checkup``."""
    firms = subparsers.add_parser("firms", help="企业库：导入、划型")
    actions = firms.add_subparsers(dest="firms_command", metavar="ACTION", help="操作")
    actions.required = True

    imp = actions.add_parser("import", help="从CSV或JSONL导入企业（逐行报告错误）")
    imp.add_argument("file", help="CSV（带表头）或JSONL文件")
    imp.add_argument("--format", choices=("csv", "jsonl"), help="文件格式（默认按扩展名判断）")
    imp.add_argument("--json", action="store_true", help="输出JSON")
    imp.set_defaults(handler=cmd_import)

    cls = actions.add_parser("classify", help="按统计上大中小微型企业划分办法划型")
    cls.add_argument("--industry", required=True, help="GB/T 4754-2017行业代码（门类至小类）")
    cls.add_argument("--employees", type=int, help="从业人员（人）")
    cls.add_argument("--revenue", type=float, help="营业收入（万元）")
    cls.add_argument("--assets", type=float, help="资产总额（万元）")
    cls.add_argument("--json", action="store_true", help="输出JSON")
    cls.set_defaults(handler=cmd_classify)

    match = subparsers.add_parser("match", help="政策与企业匹配（含逐项说明）")
    which = match.add_mutually_exclusive_group(required=True)
    which.add_argument("--policy", type=int, metavar="ID", help="一项政策适用的企业")
    which.add_argument("--firm", metavar="USCC", help="一家企业适用的政策")
    _add_common(match)
    match.add_argument("--limit", type=int, default=100, help="最多列出多少家企业（0为不限）")
    match.set_defaults(handler=cmd_match)

    check = subparsers.add_parser("checkup", help="政策体检：企业适用的政策及服务要素")
    check.add_argument("--firm", required=True, metavar="USCC", help="统一社会信用代码")
    _add_common(check)
    check.set_defaults(handler=cmd_checkup)


def _add_common(parser: argparse.ArgumentParser) -> None:
    """--date and --json."""
    parser.add_argument("--date", type=day, metavar="YYYY-MM-DD", help="按哪天判断申报期（默认今天）")
    parser.add_argument("--json", action="store_true", help="输出JSON")


def _engine(ctx: Context) -> Engine:
    """The database (kb.database.db.create_schema creates the push tables too)."""
    return ctx.engine


def _print_json(data: Any) -> None:
    """JSON with Chinese kept readable."""
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def cmd_import(args: argparse.Namespace, ctx: Context) -> int:
    """Import firms; exit 1 when any row failed (the good rows are saved)."""
    from push.firms.registry import import_firms

    with session_scope(_engine(ctx)) as session:
        report = import_firms(session=session, path=args.file, fmt=args.format)
    if args.json:
        _print_json(report.to_dict())
    else:
        print(
            f"{report.path}: 新增{report.created}家，更新{report.updated}家，失败{len(report.errors)}行"
        )
        for err in report.errors:
            print(f"  第{err.line}行 {err.uscc or '-'}: {err.message}")
        if report.ignored_columns:
            print(f"  忽略的列：{'、'.join(report.ignored_columns)}")
    return 0 if report.ok else 1


def cmd_classify(args: argparse.Namespace, ctx: Context) -> int:
    """Classify a firm's size from the command line (no database needed)."""
    from push.firms.size import classify

    result = classify(
        industry_code=args.industry,
        employees=args.employees,
        revenue=args.revenue,
        assets=args.assets,
    )
    if args.json:
        _print_json(result.to_dict())
    else:
        print(f"{result.label}（{result.size_industry or '—'}）")
        for reason in result.reasons:
            print(f"  - {reason}")
        print(f"  依据：{result.standard}")
    return 0


def _print_match(m: Any, *, name_policy: bool) -> None:
    """A match as text lines, headed by the policy (firm view) or the firm (policy view)."""
    who = f"[{m.policy_id}] {m.title}" if name_policy else f"{m.uscc} {m.firm_name}"
    score = f"（相关度{m.score:.3f}）" if m.score is not None else ""
    print(f"- {who}{score}：{m.summary}")
    for c in m.criteria:
        print(f"    {'✓' if c.met else '✗'} {c.label}：{c.detail}")


def cmd_match(args: argparse.Namespace, ctx: Context) -> int:
    """Policy → firms, or firm → policies, with explanations."""
    from push.firms.registry import get_firm
    from push.matching.matcher import firms_for_policy, policies_for_firm

    today = args.date or clock.county_today()
    with session_scope(_engine(ctx)) as session:
        if args.policy is not None:
            found = firms_for_policy(
                session=session, policy_id=args.policy, today=today, limit=args.limit or None
            )
            if args.json:
                _print_json(found.to_dict())
                return 0
            print(f"[{found.policy.id}] {found.policy.title}（{today}）")
            for gate in found.spec.gates:
                print(f"  {'✓' if gate.met else '✗'} {gate.label}：{gate.detail}")
            print(
                f"企业{found.firms_total}家，符合{found.eligible_count}家，仅差一项{found.near_miss_count}家"
            )
            for m in (*found.matches, *found.near_misses):
                _print_match(m, name_policy=False)
            return 0
        firm = get_firm(session=session, uscc=args.firm)
        result = policies_for_firm(session=session, profile=firm, today=today)
        if args.json:
            _print_json(
                {
                    "firm": {"uscc": firm.uscc, "name": firm.name, "industry_code": firm.industry_code,
                             "region": firm.region, "qualifications": firm.qualifications},
                    "size": result.size.to_dict(),
                    "date": today.isoformat(),
                    "matches": [m.to_dict() for m in result.matches],
                    "near_misses": [m.to_dict() for m in result.near_misses],
                    "skipped": result.skipped,
                }
            )  # fmt: skip
            return 0
        print(f"{firm.uscc} {firm.name}：{result.size.label}（{today}）")
        print(f"适用政策{len(result.matches)}项，仅差一项{len(result.near_misses)}项")
        for m in (*result.matches, *result.near_misses):
            _print_match(m, name_policy=True)
    return 0


def cmd_checkup(args: argparse.Namespace, ctx: Context) -> int:
    """The 政策体检 report for a registered firm."""
    from push.firms.registry import get_firm
    from push.matching.checkup import checkup

    with session_scope(_engine(ctx)) as session:
        firm = get_firm(session=session, uscc=args.firm)
        report = checkup(session=session, profile=firm, today=args.date)
    if args.json:
        _print_json(report.to_dict())
        return 0
    print(f"{firm.name}：{report.size.label}，适用政策{len(report.applicable)}项")
    for item in (*report.applicable, *report.near_misses):
        left = f"，剩{item.days_left}天" if item.days_left is not None else ""
        print(f"- [{item.policy_id}] {item.title}：{item.summary}{left}")
        for el in item.service:
            if el.value:
                print(f"    {el.label}：{el.value}")
    return 0
