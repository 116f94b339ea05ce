"""免申即享 end to end from the CLI on the demo: generated, reviewed by another person, published
once; and the demo's firms, matches and funnel on /admin/push."""

import json
import re

from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from kb.cli.main import main
from kb.config import get_settings
from kb.database.db import make_engine
from push.applications.models import Application, ApplicationMove, Node
from push.delivery.models import Push, PushKind
from push.direct.models import DirectPayment
from push.matching.synthetic import make_uscc
from tests.web.staff import login, make_user


def run(capsys, *argv) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out + err


def test_direct_list_reviewed_published_and_never_paid_twice(cli_env, capsys):
    code, out = run(capsys, "demo", "--no-serve")
    assert code == 0
    list_id = int(re.search(r"免申即享名单(\d+)（", out).group(1))
    code, out = run(capsys, "direct", "show", list_id, "--json")
    shown = json.loads(out)
    assert shown["status"] == "generated" and shown["firms"] == 3
    assert {(e["name"], e["measure"], e["amount"]) for e in shown["entries"]} == {
        ("金湖绿源新材料有限公司", "first", 15.0), ("金湖云帆软件有限公司", "first", 15.0),
        ("金湖精工机械制造有限公司", "renewed", 10.0)}  # this year's instalment only
    assert shown["entries"][0]["facts"]  # the facts used, frozen with the list

    assert run(capsys, "direct", "publish", list_id, "--by", "kj-publisher")[0] == 2  # not reviewed
    assert run(capsys, "direct", "review", list_id, "--by", "kj-drafter")[0] == 2  # not a reviewer
    assert run(capsys, "direct", "review", list_id, "--by", "kj-reviewer")[0] == 0
    assert run(capsys, "direct", "publish", list_id, "--by", "kj-reviewer")[0] == 2  # reviewed it
    code, out = run(capsys, "direct", "publish", list_id, "--by", "kj-publisher", "--json")
    assert code == 0 and json.loads(out)["applications"] == 3

    engine = make_engine(get_settings().db_url)
    with Session(engine) as s:
        pid = shown["policy_id"]
        apps = s.exec(select(Application).join(DirectPayment, DirectPayment.application_id
                                               == Application.id)).unique().all()
        assert sorted(a.amount_approved for a in apps) == [10, 15, 15]
        assert {a.node for a in apps} == {Node.APPROVED}
        moves = s.exec(select(ApplicationMove.id).where(
            ApplicationMove.application_id.in_([a.id for a in apps]))).all()
        assert len(moves) == 3  # one move each: straight to 已核定
        notices = s.exec(select(Push).where(Push.kind == PushKind.APPLICATION,
                                            Push.version.in_(moves))).all()  # a notice's version: its move
        assert sorted(p.firm_id for p in notices) == sorted(a.firm_id for a in apps)  # one push each
        notice = notices[0]
        assert any("免申即享" in r for r in notice.reasons)
        assert any("核定金额" in r for r in notice.reasons)

    code, out = run(capsys, "direct", "publish", list_id, "--by", "kj-publisher", "--json")
    assert json.loads(out) | {"refs": []} == {"list_id": list_id, "applications": 0, "refs": [],
                                              "new_payments": 0, "already_paid": 3}
    code, out = run(capsys, "direct", "list", "--policy", pid, "--period", shown["period"], "--json")
    again = json.loads(out)
    assert again["diff"]["added"] == 0 and again["diff"]["already_paid"] == 3
    assert run(capsys, "direct", "review", again["id"], "--by", "kj-reviewer")[0] == 0
    code, out = run(capsys, "direct", "publish", again["id"], "--by", "kj-publisher", "--json")
    assert json.loads(out)["applications"] == 0
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(DirectPayment)).one() == 3

    # A 免申即享 application goes 已核定 → 公示中 → 已拨付.
    ref = apps[0].ref
    code, out = run(capsys, "applications", "advance", ref, "--to", "publicity", "--by", "kj-handler")
    assert code == 2 and "异议期至" in out  # the 异议 window is still open
    from datetime import date, timedelta

    from kb.database.db import session_scope
    with session_scope(engine) as s:  # the window has passed
        for p in s.exec(select(DirectPayment)):
            p.objection_until = date.today() - timedelta(days=1)
            s.add(p)
    assert run(capsys, "applications", "advance", ref, "--to", "publicity", "--by", "kj-handler")[0] == 0
    assert run(capsys, "applications", "advance", ref, "--to", "paid", "--by", "kj-handler")[0] == 0
    assert run(capsys, "applications", "advance", ref, "--to", "accepted", "--by", "kj-handler")[0] == 2

    code, out = run(capsys, "direct", "stats", "--json")
    row = next(r for r in json.loads(out) if r["编号"] == pid)
    assert (row["兑现方式"], row["符合企业数"], row["测算金额（万元）"]) == ("免申即享", 3, 40.0)
    assert (row["免申即享件数"], row["申报件数"]) == (3, 4)  # the demo's 4 applications by hand
    assert row["拨付金额（万元）"] == 20.0 + apps[0].amount_approved
    code, out = run(capsys, "direct", "stats", "--by", "department", "--csv")
    assert out.splitlines()[0].startswith("编号,名称,部门,兑现方式,符合企业数")
    assert any(line.startswith(",县科技局,") for line in out.splitlines())
    engine.dispose()


def test_demo_calculator_names_amounts_and_missing_facts(cli_env, capsys):
    assert run(capsys, "demo", "--no-serve")[0] == 0
    code, out = run(capsys, "calc", "--firm", make_uscc(900), "--year", "2026", "--json")
    data = json.loads(out)
    tech = next(p for p in data["policies"] if "技术改造" in p["title"])
    assert tech["amount"] == 64.0 and "新增设备投资 800万元 × 8% = 64万元" in tech["formula"]
    assert set(tech) >= {"amount", "formula", "instalments", "missed"}
    code, out = run(capsys, "calc", "--firm", make_uscc(906), "--json")
    tech = next(p for p in json.loads(out)["policies"] if "技术改造" in p["title"])
    assert tech["amount"] is None and "2025年新增设备投资（已有2024年数据）" in tech["missing"]
    assert run(capsys, "calc", "--firm", "91321000MA1XXXXXXX")[0] == 2


def test_admin_push_after_the_demo_shows_firms_matches_and_a_funnel(cli_env, capsys):
    from web.app import create_app

    assert run(capsys, "demo", "--no-serve")[0] == 0
    settings = get_settings()
    engine = make_engine(settings.db_url)
    make_user(engine, "push-admin", roles=["admin"], department=None)
    with TestClient(create_app(settings), client=("127.0.0.1", 50000)) as client:
        login(client, "push-admin")
        page = client.get("/admin/push")
    assert page.status_code == 200
    firms = int(re.search(r"企业库：<strong>(\d+)</strong>家企业", page.text).group(1))
    assert firms >= 5
    assert "预计可享" in page.text  # the preview says what a firm can expect
    csv_rows = [r for r in page.text.split("<tr>") if "<td>" in r]
    counts = [int(x) for r in csv_rows for x in re.findall(r"<td>(\d+)</td>", r)]
    assert sum(counts) > 0
    engine.dispose()
