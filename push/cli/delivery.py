"""``policykb push ...``: the delivery worker, one pass, reminders, funnel, channel re-enable."""

import argparse
import os
import signal
import socket
import sys
import threading
from typing import TYPE_CHECKING

from kb.cli.context import Context
from kb.cli.parser import day, moment
from kb.database.db import key, session_scope

if TYPE_CHECKING:
    from push.delivery.worker import Worker


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``policykb push`` and its actions."""
    push = subparsers.add_parser("push", help="政策推送：投递、提醒、触达漏斗")
    actions = push.add_subparsers(dest="push_command", metavar="ACTION", help="操作")
    actions.required = True

    worker = actions.add_parser("worker", help="持续投递到期推送（SIGTERM优雅退出）")
    _worker_args(worker)
    worker.add_argument("--poll", type=float, default=2.0, help="无待发时的轮询间隔（秒）")
    worker.set_defaults(handler=cmd_worker)

    run = actions.add_parser("run", help="投递一轮到期推送后退出")
    _worker_args(run)
    run.add_argument("--now", type=moment, metavar="YYYY-MM-DDTHH:MM", help="按此时刻判断（测试用）")
    run.set_defaults(handler=cmd_run)

    remind = actions.add_parser("remind", help="生成申报截止前14天、3天的提醒")
    remind.add_argument("--today", type=day, metavar="YYYY-MM-DD", help="按哪天计算（默认今天）")
    remind.set_defaults(handler=cmd_remind)

    funnel = actions.add_parser("funnel", help="触达漏斗：推送→送达→打开→点击→已申报")
    funnel.add_argument("--by", choices=("policy", "department"), default="policy",
                        help="按政策（policy，默认）或按部门（department）统计")
    funnel.add_argument("--csv", action="store_true", help="输出CSV")
    funnel.set_defaults(handler=cmd_funnel)

    enable = actions.add_parser("enable", help="恢复被暂停的企业渠道（退信或webhook连续失败后）")
    enable.add_argument("--firm", required=True, metavar="USCC", help="企业的统一社会信用代码")
    enable.add_argument("--channel", required=True, choices=("email", "webhook", "inbox", "sms"),
                        help="渠道：email（邮件）、webhook、inbox（站内信）、sms（短信）")
    enable.set_defaults(handler=cmd_enable)

    link = actions.add_parser("link", help="打印企业专属页面链接（站内信、订阅设置）")
    link.add_argument("--firm", required=True, metavar="USCC", help="企业的统一社会信用代码")
    link.set_defaults(handler=cmd_link)

    status = actions.add_parser("status", help="各状态推送数量")
    status.set_defaults(handler=cmd_status)


def _worker_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--id", help="worker标识；重启时沿用同一标识可立即接回自己未完成的租约")
    parser.add_argument("--lease", type=float, default=60.0, help="租约时长（秒）")


def _worker(args: argparse.Namespace, ctx: Context) -> "Worker":
    from push.delivery.channels import build_channels
    from push.delivery.worker import Worker

    worker_id = args.id or f"{socket.gethostname()}-{os.getpid()}"
    return Worker(engine=ctx.engine, settings=ctx.settings, worker_id=worker_id,
                  channels=build_channels(settings=ctx.settings, engine=ctx.engine),
                  lease_s=args.lease)


def cmd_worker(args: argparse.Namespace, ctx: Context) -> int:
    """Deliver until SIGTERM or Ctrl-C; the message in flight is finished first."""
    from kb.operations.logs import setup

    setup(ctx.settings.log_format)  # failures go to the service's log, as the web app's do
    worker = _worker(args, ctx)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    recovered = worker.recover()
    print(f"push worker {worker.worker_id} 启动，接回未完成租约{recovered}条", flush=True)
    report = worker.run(stop=stop, poll_s=args.poll)
    print(f"push worker 退出：{report.line()}", flush=True)
    return 0


def cmd_run(args: argparse.Namespace, ctx: Context) -> int:
    """One pass over everything due, then exit; 1 when something was dead-lettered."""
    worker = _worker(args, ctx)
    worker.recover()
    report = worker.run_once(now=args.now)
    for channel in worker.channels.values():
        channel.close()
    print(report.line())
    return 1 if report.dead else 0


def cmd_remind(args: argparse.Namespace, ctx: Context) -> int:
    """Queue the deadline reminders due on ``--today``."""
    from push.delivery.outbox import create_reminders

    with session_scope(ctx.engine) as session:
        added = create_reminders(session=session, today=args.today)
    print(f"新建申报提醒{added}条")
    return 0


def cmd_funnel(args: argparse.Namespace, ctx: Context) -> int:
    """Print the reach funnel per policy or department."""
    from push.reports.funnel import funnel, funnel_csv

    with session_scope(ctx.engine) as session:
        rows = funnel(session=session, by=args.by)
    if args.csv:
        sys.stdout.write(funnel_csv(rows))
        return 0
    print("对象\t推送\t送达\t打开\t点击\t已申报\t已核定\t已拨付")
    for r in rows:
        print(f"{r.label}\t{r.pushed}\t{r.delivered}\t{r.opened}\t{r.clicked}\t{r.applied}"
              f"\t{r.approved}\t{r.paid}")
    return 0


def cmd_enable(args: argparse.Namespace, ctx: Context) -> int:
    """Lift a channel suspension; held pushes are queued again."""
    from push.delivery.subscriptions import enable_channel
    from push.firms.registry import get_firm

    with session_scope(ctx.engine) as session:
        firm = get_firm(session=session, uscc=args.firm)
        released = enable_channel(session=session, firm_id=key(firm), channel=args.channel)
    print(f"{firm.name}的{args.channel}渠道已恢复，重新排队{released}条")
    return 0


def cmd_link(args: argparse.Namespace, ctx: Context) -> int:
    """Print the firm's signed page link."""
    from push.delivery.render import Links
    from push.firms.registry import get_firm

    with session_scope(ctx.engine) as session:
        firm = get_firm(session=session, uscc=args.firm)
    print(Links(settings=ctx.settings, firm_id=key(firm)).firm_page())
    return 0


def cmd_status(args: argparse.Namespace, ctx: Context) -> int:
    """Counts of pushes by status."""
    from sqlmodel import func, select

    from push.delivery.models import Push

    with session_scope(ctx.engine) as session:
        rows = session.exec(select(Push.status, func.count()).group_by(Push.status)).all()
    for status, count in rows:
        print(f"{status}\t{count}")
    return 0
