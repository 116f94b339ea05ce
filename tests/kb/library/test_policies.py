"""Public policy queries: filters from user input, the list, one policy, facets."""

from datetime import date

import pytest
from sqlmodel import Session

from kb.errors import InvalidInput, PolicyNotFound
from kb.library.policies import (
    facet_options,
    list_policies,
    parse_date,
    parse_positive,
    parse_validity,
    policy_detail,
    search_filters,
)


@pytest.fixture
def session(demo_engine):
    with Session(demo_engine) as s:
        yield s


def test_search_filters_resolve_names_and_refuse_unknown_values(session):
    assert search_filters(session=session) is None
    assert search_filters(session=session, validity=[""], department=" ", theme="") is None
    f = search_filters(session=session, validity=["有效", "revised"], department="县科技局", theme="科技创新")
    assert f.validity == ["有效", "已修订"] and len(f.department_ids) == 1 and f.theme == "科技创新"
    with pytest.raises(InvalidInput, match="县宣传部"):
        search_filters(session=session, department="县宣传部")
    with pytest.raises(InvalidInput, match="过期"):
        parse_validity(["有效", "过期"])


@pytest.mark.parametrize(("value", "ok"), [("2024-02-29", True), ("2023-02-29", False),
                                           ("2024/01/01", False), ("", True)])
def test_parse_date(value, ok):
    if ok:
        assert parse_date("issued_from", value) in (None, date(2024, 2, 29))
    else:
        with pytest.raises(InvalidInput, match="issued_from"):
            parse_date("issued_from", value)


@pytest.mark.parametrize(("value", "expected"), [("", 20), (None, 20), ("1", 1), ("100", 100),
                                                 ("0", None), ("101", None), ("-1", None), ("二", None)])
def test_parse_positive(value, expected):
    if expected is None:
        with pytest.raises(InvalidInput, match="per_page"):
            parse_positive("per_page", value, default=20, maximum=100)
    else:
        assert parse_positive("per_page", value, default=20, maximum=100) == expected


def test_list_combines_filters(session):
    page = list_policies(session=session, department="县工业和信息化局", validity=["有效"])
    assert [p.title for p in page.items] == ["金湖县推动工业企业技术改造和智能化改造的若干政策措施",
                                             "金湖县促进专精特新中小企业梯度培育的若干措施"]
    assert all(p.department == "县工业和信息化局" for p in page.items)
    themed = list_policies(session=session, theme="资金奖励", per_page=3, page=2)
    assert themed.total == 4 and len(themed.items) == 1 and themed.pages == 2


def test_detail_and_unknown(session):
    p = policy_detail(session=session, ref="jh-2024-agri-01")
    assert p.validity == "有效" and p.superseded_by is None and p.clauses and p.faq
    assert [c.passage_id for c in p.clauses] == sorted(c.passage_id for c in p.clauses)
    assert all(r.id != p.id for r in p.related) and len(p.related) <= 5
    with pytest.raises(PolicyNotFound):
        policy_detail(session=session, ref=424242)


def test_facets_come_from_published_policies(session):
    options = facet_options(session=session)
    assert "县科技局" in options.departments and len(set(options.departments)) == len(options.departments)
    assert options.validities == ["有效", "失效", "废止", "已修订"]
    assert "技术改造" in options.themes and len(set(options.themes)) == len(options.themes)
