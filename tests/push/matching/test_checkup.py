"""政策体检: applicable policies with reasons, deadlines and service elements."""

from datetime import timedelta

from kb.models import Department
from push.firms.models import FirmProfile
from push.matching.checkup import checkup
from tests.push.conftest import TODAY, add_firm, add_policy


def test_checkup_for_a_registered_firm(session):
    department = Department(name="县科技局", phone="0517-8888")
    session.add(department)
    session.commit()
    firm = add_firm(session, industry_code="3911", employees=50, revenue=1000,
                    region="城关镇", qualifications=["科技型中小企业"])  # fmt: skip
    applies = add_policy(
        session, title="高新技术企业培育奖励", industries_include=["C"], sizes=["small", "micro"],
        apply_from=TODAY - timedelta(days=10), apply_to=TODAY + timedelta(days=20),
        beneficiaries="县内科技型中小企业", conditions="上年度研发投入占比不低于3%",
        fulfil_time="审核通过后30个工作日内", address="县政务服务中心2楼", department_id=department.id,
    )  # fmt: skip
    near = add_policy(session, title="高企认定奖励", qualifications=["高新技术企业"],
                      phone="0517-1234")  # fmt: skip
    add_policy(session, title="已截止", apply_to=TODAY - timedelta(days=1))
    add_policy(session, title="零售业", industries_include=["52"], sizes=["large"])

    report = checkup(session=session, profile=firm, today=TODAY)

    assert report.size.size.value == "small"
    assert [i.policy_id for i in report.applicable] == [applies.id]
    item = report.applicable[0]
    assert item.summary == "符合全部条件"
    assert item.deadline == TODAY + timedelta(days=20) and item.days_left == 20
    assert any(r.startswith("行业：3911") for r in item.reasons)
    service = {e.label: e.value for e in item.service}
    assert list(service) == ["惠及对象", "申报条件", "兑现时限", "受理地址", "咨询电话"]
    assert service["咨询电话"] == "0517-8888"  # from the issuing department
    assert service["受理地址"] == "县政务服务中心2楼"
    assert [i.policy_id for i in report.near_misses] == [near.id]
    assert report.near_misses[0].summary == "仅差：需为高新技术企业"
    data = report.to_dict()
    assert data["applicable"][0]["deadline"] == (TODAY + timedelta(days=20)).isoformat()
    assert data["size"]["size"] == "small"


def test_checkup_for_an_entered_profile(session):
    add_policy(session, title="农业补贴", industries_include=["A"])
    profile = FirmProfile(industry_code="0111", revenue=60, region="塔集镇")
    report = checkup(session=session, profile=profile, today=TODAY)
    assert report.firm["uscc"] is None
    assert report.firm["industry"] == "0111（属于01 农业）"
    assert report.size.size.value == "small"
    assert [i.title for i in report.applicable] == ["农业补贴"]


def test_a_policy_with_bad_facets_is_skipped_not_fatal(session):
    add_policy(session, title="坏数据", industries_include=["99"])
    good = add_policy(session, title="好数据")
    report = checkup(session=session, profile=FirmProfile(industry_code="C"), today=TODAY)
    assert [i.policy_id for i in report.applicable] == [good.id]
    assert "大类99" in report.skipped[0]
