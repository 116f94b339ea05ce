"""Statistics over county days, the annual disclosure rows, and CSV that Excel opens in Chinese."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from kb.database.db import session_scope
from kb.errors import InvalidInput
from kb.feedback import ledger
from kb.feedback.models import LedgerTopic, TopicStatus
from kb.feedback.questions import log_question, record_feedback
from kb.feedback.stats import daily_rows, disclosure_rows, statistics, to_csv
from kb.models import Department, FaqItem, Interpretation, Policy
from kb.search.answers import AnswerResult

D1, D2, D3 = date(2030, 3, 1), date(2030, 3, 2), date(2030, 3, 3)


def at(day: date, hour: int) -> datetime:
    """``hour`` o'clock on a county day, as UTC."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - timedelta(hours=8)


@pytest.fixture
def session(demo_engine):
    with session_scope(demo_engine) as s:
        yield s


def dept(session, name: str) -> Department:
    return session.exec(select(Department).where(Department.name == name)).one()


def policy_of(session, name: str) -> Policy:
    return session.exec(select(Policy).where(Policy.department_id == dept(session, name).id)).first()


def ask(session, text: str, when: datetime, answer_type: str = "none"):
    answer = {"policy_id": None, "passage_id": None} if answer_type != "none" else None
    row = log_question(session=session, question=text, channel="widget", client="c", now=when,
                       result=AnswerResult(query=text, answer=answer, confidence=0.5, hits=[],
                                           answer_type=answer_type))
    ledger.note_question(session=session, question=row, due_days=2, now=when)
    return row


def test_statistics_of_a_range_of_county_days(session):
    first = ask(session, "高企奖励多少？", at(D1, 0), "passage")  # 00:00 county = previous UTC day
    ask(session, "高企奖励多少", at(D1, 9), "faq")
    ask(session, "宠物狗怎么办证", at(D1, 10))
    bad = ask(session, "贴息比例", at(D3, 23), "passage")
    ask(session, "高企奖励多少", at(D3, 23) + timedelta(hours=2))  # the day after the range
    fb_ok = record_feedback(session=session, question_id=first.id, helpful=True)  # one per question
    fb_bad = record_feedback(session=session, question_id=bad.id, helpful=False, reason="没说比例")
    fb_ok.created_at, fb_bad.created_at = at(D1, 12), at(D3, 12)
    sci = policy_of(session, "县科技局")
    session.add(FaqItem(policy_id=sci.id, question="q", answer="a", published_at=at(D2, 9)))
    session.add(FaqItem(policy_id=sci.id, question="q2", answer="a", published_at=at(D3, 23) + timedelta(hours=2)))
    session.add(FaqItem(policy_id=sci.id, question="q3", answer="a", status="draft", published_at=at(D2, 9)))
    session.add(Interpretation(policy_id=policy_of(session, "县人社局").id, published_at=at(D1, 9)))
    session.flush()

    s = statistics(session=session, start=D1, end=D3, today=D3 + timedelta(days=30))
    assert [(d.day, d.questions, d.confident) for d in s.days] == [(D1, 3, 2), (D2, 0, 0), (D3, 1, 1)]
    assert s.questions == 4 and s.confident_rate == pytest.approx(3 / 4)
    assert s.feedback == 2 and s.helpful_rate == pytest.approx(1 / 2)
    assert s.top_questions[0][1] == 2 and s.top_questions[0][0].startswith("高企奖励多少")
    assert len(s.top_questions) == 3  # the one asked after the range does not count
    by_name = {d.department: d for d in s.departments}
    assert by_name["县科技局"].faq == 1 and by_name["县人社局"].interpretations == 1
    # Two unanswered topics (宠物, and 高企 the day after the range), overdue 30 days later.
    assert by_name["未指定部门"].open_topics == 2 and by_name["未指定部门"].overdue_topics == 2
    rows = daily_rows(s)
    assert rows[0] == {"日期": "2030-03-01", "提问数": 3, "有效答复数": 2, "有效答复率": "66.7%",
                       "反馈数": 1, "有帮助数": 1, "有帮助率": "100.0%"}
    assert rows[1]["有效答复率"] == "" and rows[1]["提问数"] == 0


def test_an_empty_range_has_no_rates(session):
    s = statistics(session=session, start=D1, end=D1)
    assert s.questions == 0 and s.confident_rate is None and s.helpful_rate is None
    assert s.top_questions == []


@pytest.mark.parametrize(("start", "end", "words"), [
    (D3, D1, ["2030-03-03", "晚于"]),
    (date(2029, 1, 1), date(2030, 1, 5), ["366"]),
])
def test_bad_ranges_are_refused(session, start, end, words):
    with pytest.raises(InvalidInput) as err:
        statistics(session=session, start=start, end=end)
    for word in words:
        assert word in err.value.message


def test_disclosure_rows_count_each_department_of_the_year(session):
    sci, hr = dept(session, "县科技局"), dept(session, "县人社局")
    topics = [  # (department, created, closed)
        (sci.id, at(date(2029, 12, 31), 10), at(date(2030, 1, 4), 10)),  # last year's, closed in 4 days
        (sci.id, at(date(2030, 3, 1), 10), at(date(2030, 3, 11), 10)),  # closed in 10 days
        (sci.id, at(date(2030, 6, 1), 10), None),  # still open
        (hr.id, at(date(2030, 12, 30), 10), at(date(2031, 1, 3), 10)),  # open at year end
        (None, at(date(2030, 5, 1), 10), None),
        (hr.id, at(date(2031, 1, 1), 1), None),  # 2031: not counted at all
    ]
    for department_id, created, closed in topics:
        session.add(LedgerTopic(title="t", department_id=department_id, created_at=created,
                                closed_at=closed,
                                status=TopicStatus.CLOSED if closed else TopicStatus.OPEN))
    session.add(FaqItem(policy_id=policy_of(session, "县科技局").id, question="q", answer="a",
                        published_at=at(date(2030, 2, 1), 9)))
    session.add(FaqItem(policy_id=policy_of(session, "县科技局").id, question="q", answer="a",
                        published_at=at(date(2030, 1, 1), 0)))  # 2029-12-31 UTC, 2030 in the county
    session.add(FaqItem(policy_id=policy_of(session, "县科技局").id, question="q", answer="a",
                        published_at=at(date(2031, 1, 1), 0)))
    session.flush()
    rows = {r["部门"]: r for r in disclosure_rows(session=session, year=2030)}
    assert rows["县科技局"] == {"部门": "县科技局", "有效政策数": 1, "发布政策解读数": 0,
                              "发布常见问题数": 2, "归属问题数": 2, "办结问题数": 2,
                              "办结天数中位数": 7, "年末未办结数": 1}
    assert rows["县人社局"]["有效政策数"] == 1  # its other policy has expired
    assert (rows["县人社局"]["归属问题数"], rows["县人社局"]["年末未办结数"]) == (1, 1)
    assert rows["县人社局"]["办结天数中位数"] == ""
    assert rows["未指定部门"]["归属问题数"] == 1
    assert rows["未指定部门"]["有效政策数"] == 1  # the demo's notice names no department
    total = rows["合计"]
    assert (total["归属问题数"], total["办结问题数"], total["年末未办结数"]) == (4, 2, 3)
    assert total["有效政策数"] == 14
    assert list(rows)[-1] == "合计"
    with pytest.raises(InvalidInput, match="年份"):
        disclosure_rows(session=session, year=30)


def test_csv_has_a_bom_chinese_headers_and_no_formulas():
    text = to_csv([{"部门": "县科技局", "提问数": 3}, {"部门": "=HYPERLINK(\"x\")", "提问数": 0}])
    assert text.startswith("\ufeff部门,提问数\r\n")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows == [{"部门": "县科技局", "提问数": "3"}, {"部门": "'=HYPERLINK(\"x\")", "提问数": "0"}]
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbf")
