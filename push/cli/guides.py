"""``policykb calc`` (the policy calculator) and ``policykb guides check|show``."""

import argparse
import json
from pathlib import Path
from typing import Any

from kb.db import read_scope
from kb.errors import InvalidInput


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``calc`` and ``guides``."""
    calc = subparsers.add_parser("calc", help="政策计算器：企业可享受的政策及金额")
    calc.add_argument("--firm", required=True, metavar="USCC", help="统一社会信用代码")
    calc.add_argument("--year", type=int, help="申报年度（默认今年）")
    calc.add_argument("--json", action="store_true", help="输出JSON")
    calc.set_defaults(handler=cmd_calc)

    guides = subparsers.add_parser("guides", help="申兑指南：检查规则")
    actions = guides.add_subparsers(dest="guides_command", metavar="ACTION")
    actions.required = True
    check = actions.add_parser("check", help="检查一份申兑指南（JSON）是否有误")
    check.add_argument("file", help="JSON文件")
    check.set_defaults(handler=cmd_check)


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def cmd_calc(args: argparse.Namespace, ctx: Any) -> int:
    """Every policy with a guide, for one firm: amount, formula, instalments, what is missed."""
    from push.firms.registry import get_firm
    from push.guides.service import calc_firm, default_year

    year = args.year or default_year()
    with read_scope(ctx.engine) as session:
        firm = get_firm(session=session, uscc=args.firm)
        found = calc_firm(session=session, firm=firm, year=year)
    found.sort(key=lambda e: (e.eligible is not True, -(e.amount or 0), e.policy_id))
    total = sum((e.amount for e in found if e.eligible and e.amount is not None), 0)
    if args.json:
        _print_json({"firm": {"uscc": firm.uscc, "name": firm.name}, "year": year,
                     "total": float(total), "policies": [e.to_dict() for e in found]})
        return 0
    print(f"{firm.uscc} {firm.name}（{year}年度）：预计可享 {total:g}万元")
    for e in found:
        if e.eligible:
            print(f"- [{e.policy_id}] {e.title}：{float(e.amount):g}万元")
            print(f"    {e.formula}")
            for i in e.instalments:
                print(f"    {i.year}年 {i.label} {i.amount:g}万元（{i.status}）")
        elif e.missing and not e.missed:
            print(f"- [{e.policy_id}] {e.title}：缺少数据 {'、'.join(e.missing)}")
        else:
            print(f"- [{e.policy_id}] {e.title}：不符合 {'；'.join(e.missed)}")
    return 0


def cmd_check(args: argparse.Namespace, ctx: Any) -> int:
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
