"""``policykb user ...`` as an administrator runs it."""

import getpass
import io
import os
import pty
import select
import subprocess
import sys
import time

from sqlmodel import Session

from kb.cli.context import Context
from kb.cli.main import main
from kb.database.db import session_scope
from kb.errors import AuthenticationFailed
from kb.staff.accounts import authenticate
from kb.staff.audit import entries

PASSWORD = "correct-horse-9"


def feed(monkeypatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def add(monkeypatch, username="zhang", *extra: str, password=PASSWORD) -> int:
    feed(monkeypatch, password + "\n")
    return main(["user", "add", username, "--name", "张三", "--department", "县科技局",
                 "--role", "drafter", *extra, "--password-stdin"])


def can_sign_in(username: str, password: str) -> bool:
    ctx = Context()
    with session_scope(ctx.engine) as s:
        try:
            authenticate(session=s, username=username, password=password, client="test",
                         settings=ctx.settings)
        except AuthenticationFailed:
            return False
    return True


def audit(action: str):
    with Session(Context().engine) as s:
        return entries(session=s, action=action)


def test_add_then_list_and_sign_in(cli_env, monkeypatch, capsys):
    assert add(monkeypatch, "zhang", "--role", "审核人") == 0
    out = capsys.readouterr().out
    assert "已创建账号 zhang（张三；拟稿人、审核人）" in out
    assert "部门“县科技局”此前不存在，已新建" in out
    assert add(monkeypatch, "li") == 0
    assert "此前不存在" not in capsys.readouterr().out  # the department exists now

    assert main(["user", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("\t")[:5] == ["li", "张三", "县科技局", "拟稿人", "在用"]
    assert lines[1].split("\t")[3] == "拟稿人、审核人" and "从未登录" in lines[1]
    assert can_sign_in("zhang", PASSWORD)

    created = audit("user.create")[-1]
    assert (created.actor, created.client, created.user_id) == (getpass.getuser(), "cli", None)


def test_add_refuses_bad_input_with_exit_2(cli_env, monkeypatch, capsys):
    assert add(monkeypatch) == 0
    capsys.readouterr()
    assert add(monkeypatch) == 2
    assert "policykb 出错：用户名“zhang”已被使用" in capsys.readouterr().err
    assert add(monkeypatch, "wang", password="short") == 2
    assert "密码至少 10 个字符" in capsys.readouterr().err
    feed(monkeypatch, PASSWORD + "\n")
    assert main(["user", "add", "wang", "--name", "王五", "--role", "publisher",
                 "--password-stdin"]) == 2
    assert "部门" in capsys.readouterr().err


def test_without_a_terminal_the_password_must_come_from_stdin(cli_env, monkeypatch, capsys):
    feed(monkeypatch, PASSWORD + "\n")  # a pipe, not a terminal: no prompt, no echoing getpass
    assert main(["user", "add", "zhang", "--name", "张三", "--role", "admin"]) == 2
    assert "--password-stdin" in capsys.readouterr().err
    main(["user", "list"])
    assert "还没有账号" in capsys.readouterr().out


def test_passwd_disable_enable(cli_env, monkeypatch, capsys):
    add(monkeypatch)
    feed(monkeypatch, "a-new-password\n")
    assert main(["user", "passwd", "zhang", "--password-stdin"]) == 0
    assert can_sign_in("zhang", "a-new-password") and not can_sign_in("zhang", PASSWORD)

    assert main(["user", "disable", "zhang"]) == 0
    assert not can_sign_in("zhang", "a-new-password")
    main(["user", "list"])
    assert "已停用" in capsys.readouterr().out
    assert main(["user", "enable", "zhang"]) == 0
    assert can_sign_in("zhang", "a-new-password")

    assert main(["user", "disable", "nobody"]) == 2
    assert "没有用户名为“nobody”的账号" in capsys.readouterr().err
    for action in ("user.password", "user.disable", "user.enable"):
        (entry,) = audit(action)
        assert (entry.actor, entry.client) == (getpass.getuser(), "cli")


def _run_on_a_terminal(args: list[str], answers: list[str]) -> tuple[int, str]:
    """Run the CLI with a pseudo-terminal as stdin, answering each password prompt."""
    controller, terminal = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "kb.cli", *args], stdin=terminal,
                            stdout=terminal, stderr=terminal, start_new_session=True,
                            env=os.environ.copy())
    os.close(terminal)
    seen, pending, answered_at = b"", list(answers), 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(controller, 1024)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
            if pending and seen[answered_at:].decode(errors="replace").rstrip().endswith("："):
                os.write(controller, (pending.pop(0) + "\n").encode())
                answered_at = len(seen)
        elif proc.poll() is not None:
            break
    os.close(controller)
    return proc.wait(timeout=30), seen.decode(errors="replace")


def test_on_a_terminal_the_password_is_asked_twice(cli_env):
    code, out = _run_on_a_terminal(["user", "add", "zhang", "--name", "张三", "--role", "admin"],
                                   [PASSWORD, "something-else"])
    assert code == 2 and "新密码：" in out and "再输入一次：" in out and "两次输入的密码不一致" in out
    assert PASSWORD not in out  # not echoed
    code, out = _run_on_a_terminal(["user", "add", "zhang", "--name", "张三", "--role", "admin"],
                                   [PASSWORD, PASSWORD])
    assert code == 0, out
    assert can_sign_in("zhang", PASSWORD)
