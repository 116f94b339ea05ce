"""``policykb facts ...``: import, define and show firm facts (一企一档)."""

import argparse
import json
from typing import Any

from kb.cli.context import Context
from kb.database.db import key, read_scope, session_scope


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``facts import|define|show|disputes|resolve``."""
    facts = subparsers.add_parser("facts", help="一企一档：企业年度数据的导入与查看")
    actions = facts.add_subparsers(dest="facts_command", metavar="ACTION", help="操作")
    actions.required = True

    imp = actions.add_parser("import", help="从CSV或JSONL导入企业年度数据（有错则整个文件不导入）")
    imp.add_argument("file", help="CSV（带表头：`uscc, year, source`、各事实列）或JSONL")
    imp.add_argument("--format", choices=("csv", "jsonl"), help="文件格式（默认按扩展名判断）")
    imp.add_argument("--source", help="来源部门（文件中没有source列时）")
    imp.add_argument("--json", action="store_true", help="输出JSON")
    imp.set_defaults(handler=cmd_import)

    define = actions.add_parser("define", help="定义县里新增的事实")
    define.add_argument("name", help="英文键名，如 export_value")
    define.add_argument("--label", required=True, help="中文名，如 出口额")
    define.add_argument("--type", default="number", choices=("number", "bool", "date", "list"),
                        help="类型：number（数值，默认）、bool（是否）、date（日期）、list（列表）")
    define.add_argument("--unit", default="", help="数值的单位：万元、%%、人、个、项")
    define.set_defaults(handler=cmd_define)

    show = actions.add_parser("show", help="一家企业的全部年度数据")
    show.add_argument("--firm", required=True, metavar="USCC", help="企业的统一社会信用代码")
    show.add_argument("--json", action="store_true", help="输出JSON")
    show.set_defaults(handler=cmd_show)

    disputes = actions.add_parser("disputes", help="企业对数据提出的异议（按来源部门）")
    disputes.add_argument("--department", metavar="NAME", help="来源部门，如 县工业和信息化局（默认全部）")
    disputes.add_argument("--all", action="store_true", help="也列出已处理的异议")
    disputes.add_argument("--json", action="store_true", help="输出JSON")
    disputes.set_defaults(handler=cmd_disputes)

    resolve = actions.add_parser("resolve", help="处理一条异议：采纳并更正数值，或不予采纳并说明理由")
    resolve.add_argument("dispute_id", type=int, metavar="DISPUTE_ID", help="异议编号")
    how = resolve.add_mutually_exclusive_group(required=True)
    how.add_argument("--accept", metavar="VALUE", help="采纳：更正后的数值")
    how.add_argument("--reject", metavar="REASON", help="不予采纳：理由")
    resolve.add_argument("--by", required=True, metavar="USERNAME", help="处理人的用户名（来源部门）")
    resolve.add_argument("--json", action="store_true", help="输出JSON")
    resolve.set_defaults(handler=cmd_resolve)


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def cmd_import(args: argparse.Namespace, ctx: Context) -> int:
    """Import a facts file; exit 1 (nothing saved) when any row failed."""
    from push.facts.imports import import_facts

    with session_scope(ctx.engine) as session:
        report = import_facts(session=session, path=args.file, fmt=args.format, source=args.source)
    if args.json:
        _print_json(report.to_dict())
    else:
        if report.ok:
            print(f"{report.path}: 新增{report.created}项，更新{report.updated}项")
        else:
            print(f"{report.path}: {len(report.errors)}处错误，整个文件未导入（改正后重新导入）")
        for err in report.errors:
            print(f"  第{err.line}行 {err.uscc or '-'}: {err.message}")
    return 0 if report.ok else 1


def cmd_define(args: argparse.Namespace, ctx: Context) -> int:
    """Define a county fact."""
    from push.facts.catalog import define
    from push.facts.models import FactType

    with session_scope(ctx.engine) as session:
        row = define(session=session, name=args.name, label=args.label, type=FactType(args.type),
                     unit=args.unit)
        print(f"已定义事实 {row.name}（{row.label}，{row.type}{'，' + row.unit if row.unit else ''}）")
    return 0


def cmd_show(args: argparse.Namespace, ctx: Context) -> int:
    """A firm's facts by year."""
    from push.facts.service import firm_facts
    from push.firms.registry import get_firm

    with read_scope(ctx.engine) as session:
        firm = get_firm(session=session, uscc=args.firm)
        rows = firm_facts(session=session, firm_id=key(firm))
    if args.json:
        _print_json({"uscc": firm.uscc, "name": firm.name, "facts": rows})
        return 0
    print(f"{firm.uscc} {firm.name}")
    for r in rows:
        print(f"  {r['year']}年 {r['label']}：{r['text']}（{r['source']}，{r['imported_at'][:10]}）")
    return 0


def cmd_disputes(args: argparse.Namespace, ctx: Context) -> int:
    """A department's dispute queue, oldest first."""
    from push.facts.disputes import department_named, queue
    from push.facts.models import DisputeStatus

    with read_scope(ctx.engine) as session:
        dept = department_named(session=session, name=args.department) if args.department else None
        rows = queue(session=session, department_id=dept, status=None if args.all else DisputeStatus.OPEN)
        data = [r.to_dict() for r in rows]
    if args.json:
        _print_json(data)
        return 0
    if not data:
        print("没有待处理的异议")
    for d in data:
        state = d["resolution"] or "待处理"
        print(f"异议{d['id']} {d['uscc']} {d['firm']} {d['year']}年{d['fact']} {d['value']}"
              f"（{d['source']}）：{d['reason']} —— {state}")
    return 0


def cmd_resolve(args: argparse.Namespace, ctx: Context) -> int:
    """Accept (with the corrected value) or reject (with a reason) one dispute."""
    from push.cli.guides import staff_named
    from push.facts.disputes import resolve_dispute

    with session_scope(ctx.engine) as session:
        row = resolve_dispute(session=session, staff=staff_named(session, args.by),
                              dispute_id=args.dispute_id, accept=args.accept, reject=args.reject)
        data = {"id": row.id, "status": row.status, "resolution": row.resolution}
    if args.json:
        _print_json(data)
    else:
        print(f"异议{data['id']}：{data['resolution']}")
    return 0
