"""Automatic expiry: a published 有效 policy past its effective-to date becomes 失效."""

import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from kb.cli.main import main
from kb.clock import county_today
from kb.database.db import session_scope
from kb.library.filters import Filters
from kb.library.index_state import current_version
from kb.library.validity import expire_overdue
from kb.models import Policy, PolicyVersion, Status
from kb.search.service import Searcher
from kb.staff import audit
from kb.staff.models import AuditEntry
from push.delivery.models import Push, PushKind, PushStatus
from tests.push.push_utils import add_firms
from tests.utils.builders import ingest, write_jsonl

LAPSED_DOC = "金农发〔2025〕2号"
LAPSED_QUESTION = "龙虾养殖户新建冷库有补贴吗"
LAPSED = {
    "id": "jh-2025-crayfish-01",
    "title": "金湖县龙虾养殖冷链仓储补贴暂行办法",
    "doc_number": LAPSED_DOC, "issuer": "金湖县农业农村局", "department": "县农业农村局",
    "level": "县", "validity": "有效", "effective_from": "2025-01-01", "effective_to": "2025-12-31",
    "themes": ["乡村振兴", "冷链物流"],
    "text": (
        "金湖县龙虾养殖冷链仓储补贴暂行办法\n"
        "第一条 为补齐龙虾产业冷链短板，减少龙虾养殖户的损耗，制定本办法。\n"
        "第二条 本办法适用于在本县登记的龙虾养殖户和龙虾养殖专业合作社。\n"
        "第三条 龙虾养殖户新建冷库容积500立方米以上的，按建设投资的30%给予一次性补贴，"
        "最高不超过20万元。\n"
        "第四条 购置冷藏运输车的，每辆补贴3万元，每户最多补贴2辆。\n"
        "第五条 本办法自2025年1月1日起施行，有效期至2025年12月31日。\n"
    ),
}
BEFORE, AFTER = date(2025, 12, 31), date(2026, 6, 1)


def add_lapsed(engine: Engine, folder: Path, **fields) -> int:
    """Ingest the crayfish policy (有效, effective to 2025-12-31); returns its id."""
    ingest(engine, write_jsonl(folder / "lapsed.jsonl", [LAPSED | fields]))
    with Session(engine) as session:
        return session.exec(select(Policy.id).where(Policy.doc_number == LAPSED_DOC)).one()


@pytest.fixture
def lapsed(demo_engine, tmp_path) -> int:
    return add_lapsed(demo_engine, tmp_path)


def expire(engine: Engine, today: date) -> list[int]:
    with session_scope(engine) as session:
        return [p.id for p in expire_overdue(session=session, today=today)]


def test_an_overdue_policy_becomes_expired_as_a_new_version(demo_engine, lapsed):
    with Session(demo_engine) as session:
        index_before = current_version(session=session)
        others = {p.id: (p.validity, p.version) for p in session.exec(select(Policy))
                  if p.id != lapsed}
    assert expire(demo_engine, AFTER) == [lapsed]
    with Session(demo_engine) as session:
        policy = session.get(Policy, lapsed)
        assert policy.validity == "失效" and policy.version == 2
        row = session.exec(select(PolicyVersion).where(
            PolicyVersion.policy_id == lapsed, PolicyVersion.version == 2)).one()
        assert row.summary == "有效期届满，自动失效"
        assert row.published_by == "系统" and row.snapshot["policy"]["validity"] == "失效"
        (entry,) = session.exec(select(AuditEntry).where(AuditEntry.action == "policy.expire")).all()
        assert entry.actor == "system" and entry.record_kind == "policy"
        assert entry.record_id == lapsed and entry.detail["effective_to"] == "2025-12-31"
        assert current_version(session=session) == index_before + 1
        assert {p.id: (p.validity, p.version) for p in session.exec(select(Policy))
                if p.id != lapsed} == others


def test_running_twice_the_same_day_changes_nothing_the_second_time(demo_engine, lapsed):
    assert expire(demo_engine, AFTER) == [lapsed]
    with Session(demo_engine) as session:
        index_version = current_version(session=session)
        versions = len(session.exec(select(PolicyVersion)).all())
    assert expire(demo_engine, AFTER) == []
    with Session(demo_engine) as session:
        assert session.get(Policy, lapsed).version == 2
        assert len(session.exec(select(PolicyVersion)).all()) == versions
        assert len(audit.entries(session=session, action="policy.expire")) == 1
        assert current_version(session=session) == index_version


@pytest.mark.parametrize(("today", "expired"), [(BEFORE, False), (date(2026, 1, 1), True)])
def test_a_policy_is_valid_through_its_last_day(demo_engine, lapsed, today, expired):
    assert expire(demo_engine, today) == ([lapsed] if expired else [])


def test_only_published_valid_policies_expire(demo_engine, tmp_path):
    pid = add_lapsed(demo_engine, tmp_path)
    with session_scope(demo_engine) as session:
        session.get(Policy, pid).status = Status.WITHDRAWN
    # The demo's 失效, 废止 and 已修订 policies are past their dates too; they keep their status.
    assert expire(demo_engine, AFTER) == []


def test_demo_policies_expire_the_day_after_their_effective_to(demo_engine):
    with Session(demo_engine) as session:
        valid = [p for p in session.exec(select(Policy)) if p.validity == "有效"]
    last_day = min(p.effective_to for p in valid if p.effective_to)
    ending = sorted(p.id for p in valid if p.effective_to == last_day)
    assert expire(demo_engine, last_day) == []
    assert sorted(expire(demo_engine, last_day + timedelta(days=1))) == ending
    with Session(demo_engine) as session:
        still = [p for p in valid if p.id not in ending]
        assert all(session.get(Policy, p.id).validity == "有效" for p in still)
    # Far in the future every dated one has lapsed; those without an end date never do.
    expire(demo_engine, date(2100, 1, 1))
    with Session(demo_engine) as session:
        assert {p.id for p in session.exec(select(Policy)) if p.validity == "有效"} == {
            p.id for p in valid if p.effective_to is None}


def test_firms_told_earlier_get_a_revision_notice(demo_engine, lapsed):
    (firm,) = add_firms(demo_engine, 1)
    with session_scope(demo_engine) as session:
        session.add(Push(key="told-v1", firm_id=firm, channel="inbox", policy_id=lapsed, version=1,
                         kind=PushKind.NEW, status=PushStatus.DELIVERED, title=LAPSED["title"]))
    expire(demo_engine, AFTER)
    with Session(demo_engine) as session:
        (notice,) = session.exec(select(Push).where(Push.policy_id == lapsed,
                                                    Push.kind == PushKind.REVISED)).all()
    assert notice.firm_id == firm and notice.version == 2 and notice.changes == ["效力状态"]


def test_the_searcher_follows_the_new_validity(demo_engine, lapsed, settings):
    searcher = Searcher(demo_engine, settings)
    only_valid = Filters(validity=["有效"])
    assert searcher.search(LAPSED_QUESTION, k=1)[0].policy_id == lapsed
    assert lapsed in {h.policy_id for h in searcher.search(LAPSED_QUESTION, filters=only_valid)}
    expire(demo_engine, AFTER)
    time.sleep(searcher.CHECK_EVERY_S)  # a searcher asks the database at most this often
    top = searcher.search(LAPSED_QUESTION, k=1)[0]
    assert top.policy_id == lapsed and top.validity == "失效"
    assert lapsed not in {h.policy_id for h in searcher.search(LAPSED_QUESTION, filters=only_valid)}


def test_county_today_follows_shanghai():
    assert county_today(datetime(2026, 11, 26, 15, 59, tzinfo=UTC)) == date(2026, 11, 26)
    assert county_today(datetime(2026, 11, 26, 16, 0, tzinfo=UTC)) == date(2026, 11, 27)


def test_cli_expire_prints_what_expired(cli_env, tmp_path, capsys):
    assert main(["ingest", str(write_jsonl(tmp_path / "lapsed.jsonl", [LAPSED]))]) == 0
    capsys.readouterr()
    assert main(["validity", "expire", "--today", "2026-06-01", "--dry-run"]) == 0
    assert "将失效" in capsys.readouterr().out
    assert main(["validity", "expire", "--today", "2026-06-01"]) == 0
    out = capsys.readouterr().out
    assert "1 项政策已失效" in out and "《金湖县龙虾养殖冷链仓储补贴暂行办法》" in out
    assert "有效期至 2025-12-31" in out and "第 2 版" in out
    assert main(["validity", "expire", "--today", "2026-06-01"]) == 0
    assert "没有到期" in capsys.readouterr().out


def test_cli_rejects_a_bad_date(cli_env, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["validity", "expire", "--today", "2026-13-01"])
    assert exc.value.code == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err
