"""The interpretation quality check a reviewer sees before approving."""

import json
import time
from importlib import resources
from pathlib import Path

import pytest

from kb.authoring.quality import MIN_PART_CHARS, MIN_TOTAL_CHARS, PolicyGrams, QualityReport, assess

pytestmark = pytest.mark.no_database  # pure logic: the SQLite run covers it


def _demo() -> list[dict]:
    path = Path(str(resources.files("kb.demo") / "policies.jsonl"))
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


DEMO = _demo()
TECH = next(r for r in DEMO if r["id"] == "jh-2024-tech-01")
INTERP = TECH["interpretations"][0]


def check(policy_text: str = TECH["text"], **parts: object) -> QualityReport:
    args = {k: INTERP[k] for k in ("background", "purpose", "measures", "sections")} | parts
    return assess(policy_text=policy_text, **args)


@pytest.mark.parametrize("record", DEMO, ids=lambda r: r["id"])
def test_every_demo_interpretation_passes(record):
    for interp in record["interpretations"]:
        report = assess(background=interp["background"], purpose=interp["purpose"],
                        measures=interp["measures"], sections=interp["sections"],
                        policy_text=record["text"])
        assert report.ok, report.flags
        assert report.overlap < 0.3


def test_pasted_clauses_as_measures_are_flagged_as_restating():
    clauses = TECH["text"][TECH["text"].index("第二条"):][:450]  # the policy's own articles
    report = check(measures=clauses)
    assert not report.ok
    assert "restates_measures" in report.codes
    assert report.part_overlap["measures"] > 0.95
    assert report.part_overlap["background"] < 0.3  # the original parts are not blamed
    message = next(f.message for f in report.flags if f.code == "restates_measures")
    assert "主要举措" in message and "照搬" in message


def test_whole_interpretation_copied_is_flagged():
    text = TECH["text"]
    report = check(background=text[200:420], purpose=text[420:560], measures=text[560:1100],
                   sections=[{"title": "适用范围", "text": text[1100:1300]}])
    assert {"restates", "restates_background", "restates_purpose",
            "restates_measures"} <= set(report.codes)
    assert report.overlap > 0.95


def test_missing_purpose_is_flagged_and_nothing_else():
    report = check(purpose="  \n ")
    assert report.codes == ["missing_purpose"]
    assert report.chars["purpose"] == 0
    assert "目的" in report.flags[0].message


def test_all_parts_missing():
    report = check(background="", purpose="", measures="", sections=[])
    assert report.codes == ["missing_background", "missing_purpose", "missing_measures"]
    assert report.total_chars == 0 and report.overlap == 0.0


def test_thin_interpretation_is_flagged():
    report = check(background="为支持企业技术改造。", purpose="推动发展。",
                   measures="对企业技改项目给予补助，对智能化改造给予奖励。", sections=[])
    assert {"thin_background", "thin_purpose", "thin_measures", "thin"} <= set(report.codes)
    assert report.total_chars < MIN_TOTAL_CHARS
    assert "不少于" in next(f.message for f in report.flags if f.code == "thin")


def test_each_part_just_over_its_minimum_but_thin_overall():
    parts = {name: "企" * minimum for name, minimum in MIN_PART_CHARS.items()}
    report = check(sections=[], **parts)
    assert report.codes == ["thin"]  # 40 + 30 + 80 is still under the whole's minimum


def test_padding_with_spaces_and_punctuation_counts_for_nothing():
    report = check(purpose="推动发展。" + "，。 、\n" * 50)
    assert report.chars["purpose"] == 4
    assert "thin_purpose" in report.codes


@pytest.mark.parametrize(("text", "low", "high"), [
    ("今天天气晴朗，适合出门散步，公园里的花都开了，孩子们在草地上奔跑玩耍。", 0.0, 0.0),
    (TECH["text"][300:700], 0.99, 1.0),
])
def test_overlap_figures(text, low, high):
    copied, total = PolicyGrams(TECH["text"]).copied(text)
    assert total > 0 and low <= copied / total <= high


def test_report_serialises_with_figures():
    data = check(purpose="").to_dict()
    assert data["ok"] is False
    assert data["flags"][0]["code"] == "missing_purpose"
    assert set(data["chars"]) == {"background", "purpose", "measures", "sections"}
    assert data["total_chars"] == sum(data["chars"].values())
    json.dumps(data, ensure_ascii=False)


def test_a_30k_character_policy_is_checked_quickly():
    policy = "".join(r["text"] for r in DEMO)
    policy = (policy * (30000 // len(policy) + 1))[:30000]
    started = time.perf_counter()
    report = check(policy_text=policy, measures=policy[10000:13000])
    assert time.perf_counter() - started < 1.0
    assert report.part_overlap["measures"] > 0.99
