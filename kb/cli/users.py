"""Account commands: ``policykb user add|list|passwd|disable|enable``."""

import argparse
import getpass
import sys

from kb.cli.context import Context
from kb.clock import local_time
from kb.database.db import session_scope
from kb.errors import InvalidInput
from kb.staff.accounts import (
    create_user,
    disable_user,
    enable_user,
    find_department,
    get_user,
    list_users,
    role_labels,
    set_password,
)
from kb.staff.audit import Actor
from kb.staff.models import ROLE_LABELS


def cli_actor() -> Actor:
    """Who runs the command, as the audit log names them: the operating-system user."""
    try:
        who = getpass.getuser()
    except (OSError, KeyError):  # no login name in some containers
        who = "unknown"
    return Actor(None, who, who, "cli")


def read_password(args: argparse.Namespace) -> str:
    """The new password: one line of stdin with --password-stdin, else typed twice at a terminal."""
    if args.password_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        # getpass would fall back to echoing the password, or hang waiting for a terminal.
        raise InvalidInput("标准输入不是终端，无法提示输入密码；请用 --password-stdin 从标准输入传入密码")
    first = getpass.getpass("新密码：")
    if getpass.getpass("再输入一次：") != first:
        raise InvalidInput("两次输入的密码不一致，账号未作改动")
    return first


def cmd_add(args: argparse.Namespace, ctx: Context) -> int:
    """Create a staff account."""
    password = read_password(args)
    with session_scope(ctx.engine) as session:
        new_dept = bool(args.department) and find_department(
            session=session, name=args.department) is None
        user = create_user(session=session, actor=cli_actor(), username=args.username,
                           name=args.name, password=password, department=args.department,
                           roles=args.role)
    if new_dept:
        print(f"注意：部门“{args.department.strip()}”此前不存在，已新建；如是笔误，请核对部门名称")
    print(f"已创建账号 {user.username}（{user.name}；{'、'.join(role_labels(user.roles))}）")
    return 0


def cmd_list(args: argparse.Namespace, ctx: Context) -> int:
    """Print every account."""
    with session_scope(ctx.engine) as session:
        accounts = list_users(session=session)
    if not accounts:
        print("还没有账号；用 policykb user add 创建")
        return 0
    for a in accounts:
        last = local_time(a.user.last_login_at, "从未登录")
        state = "在用" if a.user.active else "已停用"
        print(f"{a.user.username}\t{a.user.name}\t{a.department or '-'}\t"
              f"{'、'.join(a.role_labels)}\t{state}\t最近登录 {last}")
    return 0


def cmd_passwd(args: argparse.Namespace, ctx: Context) -> int:
    """Set a new password; the account's sessions end."""
    password = read_password(args)
    with session_scope(ctx.engine) as session:
        user = get_user(session=session, username=args.username)
        set_password(session=session, actor=cli_actor(), user=user, password=password)
    print(f"已为 {user.username} 设置新密码，其已登录的会话均已退出")
    return 0


def cmd_disable(args: argparse.Namespace, ctx: Context) -> int:
    """Stop an account from signing in."""
    with session_scope(ctx.engine) as session:
        user = get_user(session=session, username=args.username)
        disable_user(session=session, actor=cli_actor(), user=user)
    print(f"已停用 {user.username}，其已登录的会话均已退出")
    return 0


def cmd_enable(args: argparse.Namespace, ctx: Context) -> int:
    """Let a disabled account sign in again."""
    with session_scope(ctx.engine) as session:
        user = get_user(session=session, username=args.username)
        enable_user(session=session, actor=cli_actor(), user=user)
    print(f"已启用 {user.username}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``policykb user ...`` to the parser."""
    user = sub.add_parser("user", help="工作人员账号：add、list、passwd、disable、enable")
    cmds = user.add_subparsers(dest="user_command", metavar="ACTION", help="操作")
    cmds.required = True
    roles = "、".join(f"{r.value}（{label}）" for r, label in ROLE_LABELS.items())

    p = cmds.add_parser("add", help="新建账号")
    p.add_argument("username", help="用户名：小写字母、数字和 _ . -，2 至 64 个字符")
    p.add_argument("--name", required=True, help="真实姓名，显示在签署记录上")
    p.add_argument("--department", help="所在部门的名称；只做系统管理员的账号可不填")
    p.add_argument("--role", action="append", required=True, help=f"角色，可重复写多个：{roles}")
    p.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码")
    p.set_defaults(handler=cmd_add)

    p = cmds.add_parser("list", help="列出全部账号")
    p.set_defaults(handler=cmd_list)

    p = cmds.add_parser("passwd", help="设置新密码（该账号已登录的会话随之退出）")
    p.add_argument("username", help="用户名")
    p.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码")
    p.set_defaults(handler=cmd_passwd)

    for name, handler, text in (("disable", cmd_disable, "停用账号，使其不能登录"),
                                ("enable", cmd_enable, "重新启用已停用的账号")):
        p = cmds.add_parser(name, help=text)
        p.add_argument("username", help="用户名")
        p.set_defaults(handler=handler)
