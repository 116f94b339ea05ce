"""``policykb eval`` measures answerability: unanswerable queries, the kinds of reply, per-query lines."""

import json

from kb.cli.main import main
from kb.search.answerability import make_unanswerable, withheld
from kb.search.evaluate import load_corpus
from tests.utils.builders import write_jsonl

DOCS = [
    ("d1", "蓝莓种植补贴办法", "种植蓝莓连片五十亩以上的农户，每亩补贴八百元，由县农业农村局受理。"),
    ("d2", "新能源汽车购置补贴", "个人购买新能源汽车并在本县上牌的，每辆补贴五千元，凭发票申领。"),
    ("d3", "高校毕业生见习补贴", "企业接收高校毕业生参加就业见习的，按每人每月一千五百元给予见习补贴。"),
    ("d4", "老旧小区加装电梯补助", "既有住宅加装电梯的，每部电梯补助二十万元，由住房城乡建设局审核。"),
]


def _corpus(tmp_path):
    return write_jsonl(tmp_path / "c.jsonl", [{"id": i, "title": t, "text": x} for i, t, x in DOCS])


def test_empty_relevant_ids_are_unanswerable_and_left_out_of_ranking(cli_env, tmp_path, capsys):
    queries = write_jsonl(tmp_path / "q.jsonl", [
        {"id": "q1", "query": "种植蓝莓每亩补贴多少钱", "relevant_ids": ["d1"]},
        {"id": "q2", "query": "购买新能源汽车能补贴多少", "relevant_ids": ["d2"]},
        {"id": "q3", "query": "明天会下雨吗要不要带伞", "relevant_ids": []},
    ])
    per_query = tmp_path / "per.jsonl"
    assert main(["eval", "--corpus", str(_corpus(tmp_path)), "--queries", str(queries),
                 "--per-query", str(per_query), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n_queries"] == 2 and out["n_unanswerable"] == 1 and out["recall@1"] == 1.0
    ans = out["answerability"]
    assert ans["answerable"]["n"] == 2 and ans["unanswerable"]["n"] == 1
    assert ans["answerable"]["correct"] == 1.0 and ans["answerable"]["wrong"] == 0.0
    assert ans["unanswerable"]["answered"] == 0.0
    assert set(ans["answerable"]) == {"n", "correct", "wrong", "related", "none"}
    assert set(ans["unanswerable"]) == {"n", "answered", "related", "none"}
    lines = [json.loads(line) for line in per_query.read_text("utf-8").splitlines()]
    assert [line["id"] for line in lines] == ["q1", "q2", "q3"]
    assert lines[0]["ranked"][0] == "d1" and lines[0]["answer_doc"] == "d1"
    assert lines[0]["answer_type"] in ("passage", "faq")
    assert lines[2]["answer_doc"] is None and lines[2]["answer_type"] in ("none", "related")
    assert set(lines[0]) == {"id", "ranked", "answer_type", "answer_doc", "confidence"}


def test_answerability_takes_half_of_the_documents_away_by_query_id(tmp_path):
    items = load_corpus(_corpus(tmp_path))
    queries = [{"id": f"q{n}", "query": "问题", "relevant_ids": [d]}
               for n, d in enumerate(["d1", "d2", "d3", "d4", "d1"])]
    kept, changed = make_unanswerable(items, queries)
    again = make_unanswerable(items, queries)
    assert [i.record.id for i in again[0]] == [i.record.id for i in kept]  # deterministic
    for before, after in zip(queries, changed, strict=True):
        if not withheld(before["id"]):
            assert after["relevant_ids"] == before["relevant_ids"]  # untouched, document kept
            assert before["relevant_ids"][0] in {i.record.id for i in kept}
    gone = [q for q in changed if not q["relevant_ids"]]
    assert gone and len(gone) < len(queries)
    assert {q["relevant_ids"][0] for q in queries if not withheld(q["id"])} <= {
        i.record.id for i in kept}
