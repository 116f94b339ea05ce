"""Vectors are computed once per (model, text): reindex, restart, republish and resume embed nothing."""

import threading
from collections.abc import Sequence

import numpy as np
import pytest

from kb.search.dense.encoder import HashEncoder
from kb.search.dense.vector_cache import VectorCache, embed, text_key
from kb.search.fusion import FusionSetting
from kb.search.service import Searcher
from tests.utils.builders import ingest, write_jsonl

HYBRID = FusionSetting(mode="hybrid", method="weighted", weight=0.5)
POLICIES = [
    {"id": f"p{i}", "title": f"第{i}号扶持政策",
     "text": f"第一条 企业购置设备{i}00万元以上的，按投资额给予{i}%补助。\n"
             f"第二条 申报材料包括营业执照和第{i}批项目清单。"}
    for i in range(1, 5)
]


class CountingEncoder(HashEncoder):
    """The deterministic test encoder, counting the passages it is asked to encode."""

    def __init__(self) -> None:
        super().__init__(dim=64)
        self.encoded: list[str] = []
        self.gate: threading.Event | None = None  # when set, encoding waits for it

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return HashEncoder.encode_passages(self, texts)  # questions are neither gated nor counted

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        if self.gate is not None:
            assert self.gate.wait(30)
        self.encoded += list(texts)
        return super().encode_passages(texts)


@pytest.fixture
def kb(engine, tmp_path):
    ingest(engine, write_jsonl(tmp_path / "p.jsonl", POLICIES))
    return engine


def test_reindex_restart_and_unchanged_republish_encode_nothing(kb, settings, tmp_path):
    encoder = CountingEncoder()
    s = Searcher(kb, settings, encoder=encoder, setting=HYBRID)
    s.ensure_fresh()
    first = len(encoder.encoded)
    assert first == s.dense.index.ids().size + s.questions.index.ids().size > 0

    s.ensure_fresh(force=True)  # policykb reindex
    Searcher(kb, settings, encoder=encoder, setting=HYBRID).ensure_fresh(force=True)  # restart
    # The same policies ingested again under new passage ids, text unchanged.
    edited = [dict(p, title=p["title"]) for p in POLICIES]
    edited[0]["text"] += "\n第三条 本政策自发布之日起施行。"
    ingest(kb, write_jsonl(tmp_path / "p.jsonl", edited))
    s.changed()
    s.ensure_fresh()
    new = encoder.encoded[first:]
    assert new == [t for t in new if "第三条" in t]  # only the one new clause was embedded
    assert len(new) == 1


def test_an_interrupted_embed_resumes_where_it_stopped(tmp_path):
    encoder = CountingEncoder()
    cache = VectorCache(tmp_path / "vectors", encoder.name, encoder.dim)
    texts = [f"第{i}条 补助标准为{i}万元" for i in range(20)]
    seen = []

    def stop_after_two_batches(done: int, total: int) -> None:
        seen.append(done)
        if done >= 16:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        embed(encoder, texts, cache, progress=stop_after_two_batches)
    assert len(cache) == 16
    encoder.encoded.clear()
    again = embed(encoder, texts, VectorCache(tmp_path / "vectors", encoder.name, encoder.dim))
    assert encoder.encoded == texts[16:]  # the rest only
    assert np.allclose(again, HashEncoder(dim=64).encode_passages(texts))


def test_a_vector_is_kept_per_model_and_text(tmp_path):
    a, b = HashEncoder(dim=64), HashEncoder(dim=32)
    assert text_key(a.name, "补贴") != text_key(b.name, "补贴") != text_key(a.name, "补助")
    cache = VectorCache(tmp_path, a.name, a.dim)
    embed(a, ["补贴标准"], cache)
    assert VectorCache(tmp_path, b.name, b.dim).get([text_key(b.name, "补贴标准")]) == {}


def test_new_passages_are_searchable_lexically_while_their_vectors_are_computed(
        kb, settings, tmp_path):
    encoder = CountingEncoder()
    s = Searcher(kb, settings, encoder=encoder, setting=HYBRID, background=True)
    s.ensure_fresh()
    assert s.wait_for_vectors(30)
    encoder.gate = threading.Event()  # the model is busy: new texts wait
    berry = {"id": "berry", "title": "蓝莓种植扶持办法",
             "text": "第一条 新建蓝莓园每亩补助八百元。"}
    ingest(kb, write_jsonl(tmp_path / "b.jsonl", [berry]))
    s.changed()
    hits = s.search("蓝莓园补助", k=1)  # returns although no vector could be computed yet
    assert hits and hits[0].title == "蓝莓种植扶持办法"
    assert s.dense.pending == 1
    encoder.gate.set()
    assert s.wait_for_vectors(30)
    assert s.dense.pending == 0
    assert hits[0].passage_id in s.dense.index.ids()
