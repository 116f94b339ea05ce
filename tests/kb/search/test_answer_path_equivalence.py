"""The optimised answer path gives the same replies as the straightforward one: top-10 passages,
scores, reply kind, confidence and citations of 1,000 bench questions, and of the demo's questions."""

from sqlmodel import Session, select

from bench.synthetic import generate, load, queries
from kb.config import Settings
from kb.models import FaqItem, Policy
from kb.search.answers import ask
from kb.search.service import Searcher
from tests.kb.search.reference import ReferenceSearcher
from tests.utils.builders import load_demo

CITED = ("passage_id", "policy_id", "title", "doc_number", "section", "validity", "superseded_by",
         "signoff", "faq_id", "kind", "text")


def _same_replies(fast: Searcher, slow: Searcher, questions: list[str]) -> int:
    kinds = set()
    for q in questions:
        a, b = (ask(searcher=s, question=q, threshold=0.3) for s in (fast, slow))
        assert (a.answer_type, a.message, a.suggestions) == (b.answer_type, b.message, b.suggestions), q
        assert abs(a.confidence - b.confidence) <= 1e-6, q
        assert [[getattr(h, k) for k in CITED] for h in a.hits] == \
            [[getattr(h, k) for k in CITED] for h in b.hits], q
        assert all(abs(x.score - y.score) <= 1e-6 for x, y in zip(a.hits, b.hits, strict=True))
        assert (a.answer or {}).get("citation") == (b.answer or {}).get("citation"), q
        assert (a.faq_match and (a.faq_match.passage_id, a.faq_match.score)) == \
            (b.faq_match and (b.faq_match.passage_id, b.faq_match.score)), q
        ra, rb = (s.fused(s.candidates(q), limit=10) for s in (fast, slow))
        assert (ra.snap.table.passage_ids[ra.rows].tolist()
                == rb.snap.table.passage_ids[rb.rows].tolist()), q
        assert all(abs(x - y) <= 1e-6 for x, y in zip(ra.scores, rb.scores, strict=True))
        kinds.add(a.answer_type)
    return len(kinds)


def test_a_thousand_bench_questions_get_the_same_replies(engine, settings: Settings):
    policies, passages = generate(3000, seed=7)
    load(engine, policies, passages)
    fast = Searcher(engine, settings)
    slow = ReferenceSearcher(engine, settings.model_copy(
        update={"index_dir": settings.home / "reference-indexes"}))
    assert _same_replies(fast, slow, queries(passages, 1000, seed=7)) >= 2


def test_demo_questions_with_successors_and_sign_offs_get_the_same_replies(engine, settings):
    load_demo(engine)
    fast = Searcher(engine, settings)
    slow = ReferenceSearcher(engine, settings.model_copy(
        update={"index_dir": settings.home / "reference-indexes"}))
    with Session(engine) as session:
        questions = list(session.exec(select(FaqItem.question)).all())
        questions += [t + "还有效吗" for t in session.exec(select(Policy.title)).all()]
    questions += ["厂里今年买了400万的新设备能补多少", "首次认定高企奖励多少", "补贴", "稳岗补贴还有吗",
                  "技改 2021年那个政策还有效吗", "测试政策甲", "what subsidies are there", "人才公寓怎么申请"]
    assert _same_replies(fast, slow, questions) >= 3
