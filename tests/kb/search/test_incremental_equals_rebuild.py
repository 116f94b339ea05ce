"""A searcher patched through any sequence of publishes, edits, withdrawals, rollbacks and
expiries ranks exactly as one rebuilt from the database."""

import tempfile
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import select

from kb.authoring.publishing import rollback, withdraw
from kb.config import Settings
from kb.database.db import create_schema, make_engine, session_scope
from kb.library.ingest import Item, ingest_items
from kb.library.schemas import PolicyRecord
from kb.library.validity import expire_overdue
from kb.models import ContentKind, IndexChange, Policy, Status
from kb.search.service import Searcher
from kb.staff.audit import SYSTEM

WORDS = ["高新技术企业", "研发费用", "设备投资", "技术改造", "稳岗返还", "人才公寓", "贷款贴息",
         "首台套", "专精特新", "电子商务", "农业产业化", "外贸出口", "小微企业", "社会保险"]
AMOUNTS = ["10万元", "20万元", "50万元", "100万元"]
QUERIES = ["高新技术企业研发费用补贴", "设备投资技术改造能补多少", "稳岗返还怎么申请",
           "人才公寓", "小微企业贷款贴息", "电子商务外贸出口奖励", "首台套专精特新"]


def _record(key: int, variant: int, expires: bool) -> PolicyRecord:
    w = [WORDS[(key * 3 + variant + i) % len(WORDS)] for i in range(4)]
    clauses = "\n".join(f"{'一二三四'[i]}、{w[i]}\n对{w[i]}和{w[(i + 1) % 4]}的企业给予"
                        f"{AMOUNTS[(variant + i) % 4]}奖励。" for i in range(1 + variant % 3))
    return PolicyRecord(id=f"p{key}", title=f"关于支持{w[0]}{w[1]}的若干措施", text=clauses,
                        effective_to=date(2020, 1, 1) if expires else None,
                        faq=[{"question": f"{w[0]}能补多少？", "answer": f"最高{AMOUNTS[variant % 4]}。"}]
                        if variant % 2 else [])


OPS = st.lists(st.tuples(st.sampled_from(["publish", "withdraw", "rollback", "expire"]),
                         st.integers(0, 5), st.integers(0, 3)), min_size=1, max_size=14)


def _apply(engine: Engine, op: str, key: int, variant: int) -> None:
    with session_scope(engine) as session:
        policy = session.exec(select(Policy).where(Policy.source_key == f"id:p{key}")).first()
        if op == "publish":
            record = _record(key, variant, expires=variant == 3)
            ingest_items(session=session, items=[Item(record, "test", f"id:p{key}")])
        elif policy is None:
            return
        elif op == "withdraw" and policy.status == Status.PUBLISHED:
            withdraw(session=session, kind=ContentKind.POLICY, record_id=policy.id, actor=SYSTEM,
                     reason="测试")
        elif op == "rollback" and policy.version > 1:
            rollback(session=session, policy_id=policy.id, to_version=policy.version - 1,
                     actor=SYSTEM)
        elif op == "expire":
            expire_overdue(session=session, today=date(2021, 1, 1))


def _ranking(searcher: Searcher, query: str) -> dict[int, float]:
    ranked = searcher.fused(searcher.candidates(query), limit=10_000)
    ids = ranked.snap.table.passage_ids[ranked.rows]
    return dict(zip(ids.tolist(), ranked.scores.tolist(), strict=True))


def _top10(ranking: dict[int, float]) -> list[tuple[int, float]]:
    return sorted(ranking.items(), key=lambda kv: (-round(kv[1], 6), kv[0]))[:10]


@examples(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=OPS)
def test_patched_ranking_equals_rebuilt_ranking(ops):
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        live = Settings(home=home, index_dir=home / "live", embedding_model="none")
        live.ensure_dirs()
        engine = make_engine(live.db_url)
        create_schema(engine)
        searcher = Searcher(engine, live)
        # Small limits, so compactions (merging segments, dropping dead rows) happen too.
        searcher.DELTA_MIN, searcher.MAX_SEGMENTS = 3, 2
        searcher.COMPACT_IN_BACKGROUND = False
        searcher.ensure_fresh()
        for op, key, variant in ops:
            _apply(engine, op, key, variant)
            searcher.changed()
            searcher.ensure_fresh()
        rebuilt = Searcher(engine, Settings(home=home, index_dir=home / "rebuilt",
                                            embedding_model="none"))
        rebuilt.ensure_fresh(force=True)
        assert searcher.lexical.n_live == rebuilt.lexical.n_docs
        for query in QUERIES:
            a, b = _ranking(searcher, query), _ranking(rebuilt, query)
            assert a.keys() == b.keys()
            assert all(abs(a[k] - b[k]) <= 1e-6 for k in a)
            top_a, top_b = _top10(a), _top10(b)
            assert [k for k, _ in top_a] == [k for k, _ in top_b]
            assert all(abs(x - y) <= 1e-6 for (_, x), (_, y) in zip(top_a, top_b, strict=True))
        engine.dispose()


def test_a_publish_logs_the_policies_it_changed_and_a_searcher_patches_only_those(engine, settings):
    searcher = Searcher(engine, settings)
    for key in range(3):
        _apply(engine, "publish", key, 1)
    searcher.ensure_fresh()
    before = searcher.table.passage_ids.copy()
    _apply(engine, "publish", 1, 2)  # an edit of p1: its passages are cut anew
    with session_scope(engine) as session:
        p1 = session.exec(select(Policy).where(Policy.source_key == "id:p1")).one()
        logged = session.exec(select(IndexChange.policy_id).where(
            IndexChange.version == searcher.version + 1)).all()
    assert logged == [p1.id]
    searcher.changed()
    searcher.ensure_fresh()
    table = searcher.table
    kept = table.passage_ids[table.alive]
    # Passages of the other policies kept their rows; p1's old ones died, its new ones came.
    assert set(before[table.policy_ids[:len(before)] != p1.id]) <= set(kept.tolist())
    assert not (set(before[table.policy_ids[:len(before)] == p1.id]) & set(kept.tolist()))
    hits = searcher.search(QUERIES[0], k=10)
    assert all(h.passage_id in set(kept.tolist()) for h in hits)


def test_compaction_in_the_background_keeps_answers_and_is_swapped_in(engine, settings):
    searcher = Searcher(engine, settings)
    searcher.DELTA_MIN, searcher.MAX_SEGMENTS = 1, 1
    searcher.ensure_fresh()
    for key in range(4):
        _apply(engine, "publish", key, 1)
        searcher.changed()
        searcher.ensure_fresh()
    if searcher._compactor is not None:
        searcher._compactor.join(timeout=30)
    searcher.changed()
    searcher.ensure_fresh()
    assert len(searcher.lexical.segments) <= 2
    rebuilt = Searcher(engine, Settings(home=settings.home, index_dir=settings.home / "other",
                                        embedding_model="none"))
    rebuilt.ensure_fresh(force=True)
    for query in QUERIES:
        a, b = _ranking(searcher, query), _ranking(rebuilt, query)
        assert a.keys() == b.keys() and all(abs(a[k] - b[k]) <= 1e-6 for k in a)
