"""Statistics against a hand-made set: per-node medians, 90th percentiles, on-time shares, funnel."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, select

from kb.database.db import session_scope
from kb.staff.models import User
from push.applications.models import Node
from push.applications.service import advance, create, handler_for
from push.applications.stats import p90, stats, stats_csv, stats_text
from push.reports.funnel import funnel
from tests.push.applications.app_utils import seed


def _at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 2, 0, tzinfo=UTC)  # 10:00 in the county


def make_set(engine) -> None:
    """Four applications whose stays (in working days, no holidays) are counted by hand below."""
    s = seed(engine)
    with session_scope(engine) as session:
        users = {u.username: handler_for(u) for u in session.exec(select(User))}
        kj, sw = users["kj-clerk"], users["sw-clerk"]

        def run(uscc, policy_id, who, path, amount=None):
            app = create(session=session, handler=who, uscc=uscc, policy_id=policy_id,
                         at=_at(*path[0]))
            for node, when, *note in path[1:]:
                advance(session=session, handler=who, ref=app.ref, to=node, at=_at(*when),
                        note=note[0] if note else "说明",
                        amount=amount if node in (Node.APPROVED, Node.PAID) else None)
            return app

        # A: every node on time: 1, 3, 15, 5 and 1 working days.
        run(s.uscc, s.policy_id, kj, [(11, 2), (Node.ACCEPTED, (11, 3)),
                                      (Node.REVIEWING, (11, 6)), (Node.PUBLICITY, (11, 27)),
                                      (Node.APPROVED, (12, 4)), (Node.PAID, (12, 7))], 30)
        # B: accepted after 3 days (1 promised: late), then rejected after 1.
        run(s.other_uscc, s.policy_id, kj, [(11, 2), (Node.ACCEPTED, (11, 5)),
                                            (Node.REJECTED, (11, 6))])
        # C: returned after 1 day, resubmitted, accepted after 2 (late), rejected after 1.
        run(s.other_uscc, s.policy_id, kj, [(11, 16), (Node.RETURNED, (11, 17)),
                                            (Node.SUBMITTED, (11, 24)),
                                            (Node.ACCEPTED, (11, 26)), (Node.REJECTED, (11, 27))])
        # D, at 县商务局: accepted after 2 days (late), rejected the next day.
        run(s.uscc, s.other_policy_id, sw, [(11, 2), (Node.ACCEPTED, (11, 4)),
                                            (Node.REJECTED, (11, 5))])


def test_nearest_rank_percentile():
    assert p90([]) is None and p90([7]) == 7
    assert p90([1, 3, 1, 2]) == 3 and p90(list(range(1, 11))) == 9 and p90(list(range(1, 12))) == 10


def test_per_node_figures_match_the_hand_count(engine):
    make_set(engine)
    with Session(engine) as session:
        rows = {r.label: r for r in stats(session=session, today=date(2027, 1, 4))}
        by_dept = {r.label: r for r in stats(session=session, by="department",
                                             today=date(2027, 1, 4))}
    kj = rows["金湖县高新技术企业奖励办法"].to_dict()
    assert kj["applications"] == 3 and kj["at_node"]["paid"] == 1 and kj["at_node"]["rejected"] == 2
    # 已提交: A 1, B 3, C 1 (before the return) and C 2 (after it): median 1.5, p90 3, 2 of 4 on time.
    assert kj["days"]["submitted"] == {"stays": 4, "median_days": 1.5, "p90_days": 3,
                                       "on_time_share": 0.5}
    # 已受理: A 3, B 1, C 1, all within the 3 promised.
    assert kj["days"]["accepted"] == {"stays": 3, "median_days": 1, "p90_days": 3,
                                      "on_time_share": 1.0}
    assert kj["days"]["reviewing"]["median_days"] == 15
    assert kj["days"]["publicity"]["median_days"] == 5
    assert kj["approved_amount"] == 30 and kj["paid_amount"] == 30
    sw = rows["金湖县外贸稳增长奖励"].to_dict()
    assert sw["days"]["submitted"] == {"stays": 1, "median_days": 2, "p90_days": 2,
                                       "on_time_share": 0.0}
    assert by_dept["县科技局"].to_dict()["days"] == kj["days"]


def test_csv_carries_the_same_figures(engine):
    make_set(engine)
    with Session(engine) as session:
        text = stats_csv(stats(session=session))
    assert text.startswith("\ufeff")
    rows = {r["名称"]: r for r in csv.DictReader(io.StringIO(text.lstrip("\ufeff")))}
    kj = rows["金湖县高新技术企业奖励办法"]
    assert (kj["已提交用时中位数"], kj["已提交用时90分位"], kj["已提交按时率"]) == ("1.5", "3", "0.5")
    assert kj["已受理按时率"] == "1.0" and kj["已拨付件数"] == "1" and kj["核定金额（万元）"] == "30.0"


def test_funnel_continues_to_approved_and_paid(engine):
    from push.delivery.models import Push, PushStatus

    make_set(engine)
    with session_scope(engine) as session:  # the firms were told about the policy by a push
        for firm_id in (1, 2):
            session.add(Push(key=f"pk-{firm_id}", firm_id=firm_id, channel="inbox", policy_id=1,
                             version=1, status=PushStatus.DELIVERED))
    with Session(engine) as session:
        row = next(r for r in funnel(session=session) if r.key == 1)
    assert (row.pushed, row.delivered, row.applied, row.approved, row.paid) == (2, 2, 2, 1, 1)


def test_text_gives_the_same_figures_in_words(engine):
    make_set(engine)
    with Session(engine) as session:
        text = stats_text(stats(session=session, today=date(2027, 1, 4)))
    assert "金湖县高新技术企业奖励办法：共 3 件（当前：已拨付 1、不予支持 2）；核定 30 万元，拨付 30 万元" in text
    assert "  已提交：4 件办结，用时中位 1.5 个工作日，90分位 3，按时率 50%" in text
    assert not text.lstrip().startswith(("[", "{"))


def test_the_stats_command_prints_text_and_json_only_when_asked(engine, tmp_path, monkeypatch,
                                                               capsys):
    import json

    from kb.cli.main import main
    from kb.config import get_settings

    make_set(engine)
    monkeypatch.setenv("KB_DATABASE_URL", str(engine.url.render_as_string(hide_password=False)))
    monkeypatch.setenv("KB_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KB_INDEX_DIR", str(tmp_path / "indexes"))
    monkeypatch.setenv("KB_EMBEDDING_MODEL", "none")
    get_settings.cache_clear()
    try:
        assert main(["applications", "stats"]) == 0
        text = capsys.readouterr().out
        assert text.startswith("金湖县高新技术企业奖励办法：共 3 件")
        assert main(["applications", "stats", "--json"]) == 0
        rows = json.loads(capsys.readouterr().out)
        assert rows[0]["label"] == "金湖县高新技术企业奖励办法" and rows[0]["applications"] == 3
        with pytest.raises(SystemExit) as stopped:  # one format at a time, said in Chinese
            main(["applications", "stats", "--json", "--csv"])
        assert stopped.value.code == 2 and "不能与参数 --json 同时使用" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()
