"""Hard gates with explanations, near misses, ranking, and ORM/columnar agreement."""

import random
from datetime import timedelta

import pytest
from sqlmodel import select

from kb.errors import InvalidIndustryCode, InvalidInput
from kb.models import Status, Validity
from push.firms.models import Firm
from push.matching.columnar import SIZE_CODES, FirmColumns, match_columns
from push.matching.facets import compile_policy
from push.matching.matcher import evaluate, firm_size, firms_for_policy, policies_for_firm
from push.matching.synthetic import generate_firms, generate_policies
from tests.push.conftest import TODAY, add_firm, add_policy, make_firm, make_policy


def check(firm=None, today=TODAY, **facets):
    """Evaluate one policy with ``facets`` against one firm."""
    spec = compile_policy(make_policy(**facets), today)
    return evaluate(spec=spec, profile=firm or make_firm())


def criterion(match, key):
    return next(c for c in match.criteria if c.key == key)


@pytest.mark.parametrize(
    ("firm_code", "include", "exclude", "eligible"),
    [
        ("3911", ["C"], [], True),
        ("3911", ["39"], [], True),
        ("3911", ["391"], [], True),
        ("3911", ["3911"], [], True),
        ("3911", ["3912"], [], False),
        ("3911", ["B", "E"], [], False),
        ("3911", ["B", "C"], [], True),
        ("3911", ["C"], ["39"], False),  # the exclusion of 39 wins over the inclusion of C
        ("3911", ["C"], ["3911"], False),
        ("3911", ["C"], ["391"], False),
        ("3912", ["C"], ["3911"], True),
        ("3911", [], ["39"], False),
        ("3811", [], ["39"], True),
        ("39", ["391"], [], False),  # coarser than the policy: not known to be inside
        ("39", ["C"], ["391"], True),  # not known to be in the excluded group
        ("C", ["C"], [], True),
        ("C", ["39"], [], False),
        ("0111", ["A"], ["02"], True),
    ],
)
def test_industry_gate_at_every_level(firm_code, include, exclude, eligible):
    match = check(make_firm(industry_code=firm_code), industries_include=include,
                  industries_exclude=exclude)  # fmt: skip
    assert criterion(match, "industry").met is eligible
    assert match.eligible is eligible


def test_exclusion_explanation_names_the_excluded_division():
    match = check(make_firm(industry_code="3911"), industries_include=["C"],
                  industries_exclude=["39"])  # fmt: skip
    detail = criterion(match, "industry").detail
    assert "排除" in detail and "39 计算机、通信和其他电子设备制造业" in detail


def test_coarse_firm_code_says_what_is_needed():
    match = check(make_firm(industry_code="39"), industries_include=["3911"])
    assert match.summary == "仅差：需登记更细的行业代码（确认属于3911）"


def test_firm_without_code_fails_an_inclusion_only():
    assert not check(make_firm(industry_code=None), industries_include=["C"]).eligible
    assert check(make_firm(industry_code=None), industries_exclude=["C"]).eligible


@pytest.mark.parametrize(
    ("employees", "revenue", "sizes", "met"),
    [
        (50, 1000, ["small", "micro"], True),  # 工业 50 persons, 1000 万元: small
        (50, 1000, ["medium"], False),
        (500, 3000, ["medium"], True),
        (10, 1000, ["micro"], True),
        (50, 1000, ["小型"], True),  # Chinese spellings are accepted
        (50, 1000, [], True),
    ],
)
def test_size_gate(employees, revenue, sizes, met):
    match = check(make_firm(employees=employees, revenue=revenue), sizes=sizes)
    assert criterion(match, "size").met is met


def test_unknown_size_is_a_near_miss_naming_the_indicator():
    match = check(make_firm(revenue=None), sizes=["small", "micro"])
    assert match.near_miss
    assert match.summary == "仅差：需补充营业收入以判定是否为小型、微型企业"


def test_uncovered_industry_never_meets_a_size_facet():
    match = check(make_firm(industry_code="6611"), sizes=["small", "micro"])
    assert not criterion(match, "size").met
    assert "不适用划型标准" in criterion(match, "size").detail


def test_unreadable_size_facet_is_an_error():
    with pytest.raises(InvalidInput, match="规模条件"):
        compile_policy(make_policy(sizes=["tiny"]), TODAY)


def test_invalid_policy_industry_code_names_the_policy():
    with pytest.raises(InvalidIndustryCode, match="支持行业"):
        compile_policy(make_policy(industries_include=["99"]), TODAY)


def test_region_gate():
    assert check(make_firm(region="城关镇"), regions=["城关镇", "塔集镇"]).eligible
    miss = check(make_firm(region="金南镇"), regions=["城关镇"])
    assert miss.summary == "不符合：需位于城关镇" and not miss.near_miss  # where it is: no near miss
    assert not check(make_firm(region=None), regions=["城关镇"]).eligible


def test_qualification_near_miss():
    firm = make_firm(qualifications=["科技型中小企业"])
    match = check(firm, qualifications=["高新技术企业"])
    assert not match.eligible and match.near_miss
    assert match.summary == "仅差：需为高新技术企业"
    both = check(firm, qualifications=["高新技术企业", "科技型中小企业"])
    assert both.missing == ["需为高新技术企业"]


def test_two_misses_are_not_a_near_miss():
    match = check(make_firm(region="金南镇"), regions=["城关镇"], qualifications=["高新技术企业"])
    assert not match.near_miss
    assert match.summary.startswith("不符合：")


@pytest.mark.parametrize(
    ("facets", "open_"),
    [
        ({}, True),
        ({"status": Status.DRAFT}, False),
        ({"status": Status.WITHDRAWN}, False),
        ({"validity": Validity.EXPIRED}, False),
        ({"validity": Validity.REPEALED}, False),
        ({"effective_to": TODAY - timedelta(days=1)}, False),
        ({"effective_to": TODAY}, True),
        ({"apply_from": TODAY, "apply_to": TODAY}, True),  # both ends inclusive
        ({"apply_from": TODAY + timedelta(days=1)}, True),  # upcoming: firms hear of it early
        ({"apply_to": TODAY - timedelta(days=1)}, False),
        ({"apply_from": TODAY - timedelta(days=30), "apply_to": TODAY + timedelta(days=9)}, True),
    ],
)
def test_policy_level_gates(facets, open_):
    match = check(**facets)
    assert match.eligible is open_
    assert not match.near_miss or open_  # a closed policy is never a near miss


def test_window_explains_days_left():
    match = check(apply_from=TODAY, apply_to=TODAY + timedelta(days=9))
    assert criterion(match, "window").detail.endswith("距截止还有9天")


def test_upcoming_window_says_when_it_opens():
    match = check(apply_from=TODAY + timedelta(days=5), apply_to=TODAY + timedelta(days=30))
    assert match.eligible and criterion(match, "window").detail.endswith("5天后开始受理")


def test_every_criterion_is_explained_in_json():
    data = check(industries_include=["C"], sizes=["small"], regions=["城关镇"]).to_dict()
    keys = [c["criterion"] for c in data["criteria"]]
    assert keys == ["status", "audience", "validity", "window", "industry", "size", "region", "qualifications"]
    assert all(c["detail"] for c in data["criteria"])


def test_scope_score_ranks_but_never_overrides_a_hard_no(session):
    firm = add_firm(session, business_scope="软件开发；信息技术咨询服务；数据处理和存储服务",
                    industry_code="6511", employees=20, revenue=300, region="城关镇")  # fmt: skip
    software = add_policy(session, title="软件和信息技术服务业数据处理扶持办法",
                          full_text="支持软件开发、数据处理和存储服务、信息技术咨询服务企业。")  # fmt: skip
    farming = add_policy(session, title="水产养殖补贴", full_text="支持蔬菜种植和水产养殖。")
    elsewhere = add_policy(session, title="软件开发扶持（塔集镇）",
                           full_text="支持软件开发、数据处理和存储服务。", regions=["塔集镇"])  # fmt: skip
    targeted = add_policy(session, title="制造和信息服务", industries_include=["I"])
    found = policies_for_firm(session=session, profile=firm, today=TODAY)
    ids = [m.policy_id for m in found.matches]
    assert ids == [targeted.id, software.id, farming.id]
    assert found.matches[1].score > found.matches[2].score
    assert elsewhere.id not in ids
    assert found.near_misses == []  # another town: it is not "仅差一项"


def test_firms_for_policy_lists_explained_matches(session):
    good = add_firm(session, 1, industry_code="3911", qualifications=["高新技术企业"])
    near = add_firm(session, 2, industry_code="3911")
    add_firm(session, 3, industry_code="5211")
    policy = add_policy(session, industries_include=["C"], qualifications=["高新技术企业"])
    found = firms_for_policy(session=session, policy_id=policy.id, today=TODAY)
    data = found.to_dict()
    assert (data["firms_total"], data["eligible_count"], data["near_miss_count"]) == (3, 1, 1)
    assert [m["uscc"] for m in data["matches"]] == [good.uscc]
    assert data["near_misses"][0]["uscc"] == near.uscc
    assert data["near_misses"][0]["summary"] == "仅差：需为高新技术企业"


def test_orm_and_columnar_paths_agree_on_a_random_sample(session):
    arrays = generate_firms(3000, seed=11)
    session.add_all(Firm.model_validate(arrays.profile(i)) for i in range(len(arrays)))
    session.commit()
    cols = FirmColumns.from_session(session)
    firms = {f.id: f for f in session.exec(select(Firm))}
    rng = random.Random(5)
    policies = generate_policies(400, seed=11, today=TODAY)
    checked, with_matches, with_near = 0, 0, 0
    for policy in rng.sample(policies, 80):
        spec = compile_policy(policy, TODAY)
        found = match_columns(cols, spec)
        eligible = set(cols.ids[found.eligible].tolist())
        near = set(cols.ids[found.near_miss].tolist())
        with_matches += bool(eligible)
        with_near += bool(near)
        for firm_id in rng.sample(sorted(firms), 300) + sorted(eligible)[:50] + sorted(near)[:50]:
            match = evaluate(spec=spec, profile=firms[firm_id])
            assert match.eligible is (firm_id in eligible), (policy, firms[firm_id])
            assert match.near_miss is (firm_id in near), (policy, firms[firm_id])
            checked += 1
    assert checked > 25000 and with_matches > 40 and with_near > 40


def test_firms_for_an_unfaceted_policy_are_ranked_by_scope(session):
    add_firm(session, 1, industry_code="0111", business_scope="蔬菜种植；水产养殖")
    best = add_firm(session, 2, industry_code="6511", business_scope="软件开发；数据处理和存储服务")
    policy = add_policy(session, title="软件开发企业扶持", full_text="支持软件开发和数据处理。")
    data = firms_for_policy(session=session, policy_id=policy.id, today=TODAY, limit=1).to_dict()
    assert data["ranked_by"] == "scope_score" and data["eligible_count"] == 2
    assert [m["uscc"] for m in data["matches"]] == [best.uscc]
    assert data["matches"][0]["score"] > 0


def test_a_closed_policy_matches_nobody(session):
    add_firm(session, 1)
    policy = add_policy(session, validity=Validity.REPEALED)
    data = firms_for_policy(session=session, policy_id=policy.id, today=TODAY).to_dict()
    assert (data["open"], data["firms_total"], data["eligible_count"]) == (False, 1, 0)
    assert any(g["detail"] == "政策状态为“废止”" for g in data["gates"])


def test_columnar_sizes_agree_with_the_classifier():
    arrays = generate_firms(4000, seed=3)
    records = [arrays.profile(i) for i in range(len(arrays))]
    cols = FirmColumns.from_records(records)
    want = [SIZE_CODES[firm_size(r).size] for r in records]
    assert cols.size.tolist() == want
    assert arrays.columns().size.tolist() == want  # built straight from arrays, same answer


def test_more_than_64_qualifications_use_several_words():
    records = [make_firm(i, qualifications=[f"资质{i}", "共同"]) for i in range(70)]
    cols = FirmColumns.from_records(records)
    assert cols.quals.shape == (70, 2)
    spec = compile_policy(make_policy(qualifications=["资质68", "共同"]), TODAY)
    assert match_columns(cols, spec).eligible.tolist() == [68]
    spec = compile_policy(make_policy(qualifications=["没人有"]), TODAY)
    assert match_columns(cols, spec).eligible.tolist() == []
