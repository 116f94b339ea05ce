"""Demo applications for ``policykb demo``: four of the demo firms at different nodes, one overdue."""

from datetime import timedelta

from sqlmodel import select

from kb import clock
from kb.cli.context import Context
from kb.database.db import key, session_scope
from kb.errors import Conflict
from kb.models import Policy
from kb.staff.models import User
from push.applications.models import Application, Node
from push.applications.service import SYSTEM_HANDLER, advance, create, handler_for
from push.demo.firms import demo_firms

POLICY_KEY = "id:jh-2024-sci-01"  # 县科技局's 科技型企业培育奖励, handled by the demo 经办人
HANDLER = "kj-handler"


def load_demo(ctx: Context) -> None:
    """Add the demo firms and applications once; print their tracking numbers."""
    with session_scope(ctx.engine) as session:
        policy = session.exec(select(Policy).where(Policy.source_key == POLICY_KEY)).first()
        user = session.exec(select(User).where(User.username == HANDLER)).first()
        if policy is None or session.exec(select(Application.id)).first() is not None:
            return
        clerk = handler_for(user, "demo") if user is not None else SYSTEM_HANDLER
        firms = demo_firms(session)[:4]
        now = clock.now()
        days = timedelta(days=1)
        # (firm, submitted so many days ago, moves as (node, days later, note, amount)); all
        # inside the policy's 2026 window (from 11-01), as real applications would be.
        paths: list[tuple[int, int, list[tuple[Node, int, str, float | None]]]] = [
            (0, 34, [(Node.ACCEPTED, 1, "材料齐全，已受理", None),
                     (Node.REVIEWING, 3, "", None), (Node.PUBLICITY, 12, "公示5个工作日", None),
                     (Node.APPROVED, 19, "", 20.0), (Node.PAID, 30, "已拨付至企业基本账户", 20.0)]),
            (1, 12, [(Node.ACCEPTED, 1, "材料齐全，已受理", None), (Node.REVIEWING, 3, "", None)]),
            (2, 5, [(Node.RETURNED, 1, "请补充上年度研发费用专项审计报告", None)]),
            (3, 14, [(Node.ACCEPTED, 1, "已受理，等待专家评审", None)]),  # 3 days promised: overdue
        ]
        lines = []
        for index, ago, moves in paths:
            start = now - ago * days
            try:
                app = create(session=session, handler=SYSTEM_HANDLER, uscc=firms[index].uscc,
                             policy_id=key(policy), at=start, amount=30.0)
            except Conflict as exc:  # the demo's window (2026) has passed: say so, load the rest
                print(f"演示申报未登记：{exc.message}")
                return
            for node, later, note, amount in moves:
                advance(session=session, handler=clerk, ref=app.ref, to=node, note=note,
                        amount=amount, at=start + later * days)
            lines.append(f"  {app.ref}  {firms[index].name}  {firms[index].uscc[-6:]}")
    print("\n演示申报（/track 用编号和信用代码后6位查询；经办人 kj-handler 在 /admin/applications 办理）：")
    print("\n".join(lines))
