"""The synthetic corpus of bench/search.py: passages and questions made from the demo knowledge
base's own sentences and vocabulary (seeded, so reproducible), written straight into the tables,
and cheap stand-in vectors for a slow model."""

import random
import re
from pathlib import Path

import numpy as np
from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import Session

from kb.config import Settings
from kb.database.db import make_engine, session_scope
from kb.demo import demo_files
from kb.library.index_state import bump_version
from kb.library.ingest import load_jsonl
from kb.library.schemas import PolicyRecord
from kb.models import Passage, PassageKind, Policy, Status, Validity

LABELS = "一二三四五六七八九十"
ASK_SUFFIXES = ("怎么申请？", "有什么补贴？", "需要什么条件？", "能补多少？", "", "找哪个部门？")


class Vocabulary:
    """Sentences, titles and words of the demo knowledge base, to recombine."""

    def __init__(self) -> None:
        items = [i for path in demo_files() if path.suffix == ".jsonl" for i in load_jsonl(path)]
        texts, self.titles, self.questions = [], [], []
        for item in items:
            r: PolicyRecord = item.record
            self.titles.append(r.title or "")
            texts.append(r.text)
            for interp in r.interpretations:
                texts += [interp.background, interp.purpose, interp.measures]
            for faq in r.faq:
                self.questions.append(faq.question)
                texts.append(faq.answer)
        self.sentences = [s.strip() for t in texts for s in re.split(r"[。；\n]", t)
                          if 8 <= len(s.strip()) <= 80]
        self.themes = sorted({t for i in items for t in i.record.themes}) or ["企业"]
        self.places = ["金湖县", "淮安市", "黎城街道", "戴楼街道", "银涂镇", "吕良镇", "前锋镇",
                       "塔集镇", "金南镇", "陈桥镇", "开发区"]


def _vary(text: str, rng: random.Random) -> str:
    # New numbers make every generated clause distinct without changing its vocabulary.
    return re.sub(r"\d+", lambda m: str(rng.randint(1, 9) * 10 ** len(m.group())), text)


def generate(n_passages: int, seed: int) -> tuple[list[dict], list[dict]]:
    """Policies and passages (9 clauses + 1 FAQ per policy), reproducible by seed."""
    rng, vocab = random.Random(seed), Vocabulary()
    policies, passages = [], []
    for n in range(n_passages // 10):
        title = (f"{rng.choice(vocab.places)}{rng.choice(vocab.themes)}"
                 f"{rng.choice(vocab.titles)[-12:]}（{2015 + n % 12}年第{n}号）")
        validity = rng.choices(list(Validity), weights=(85, 8, 4, 3))[0]
        policies.append({"id": n + 1, "source_key": f"bench:{n}", "title": title,
                         "doc_number": f"金政发〔{2015 + n % 12}〕{n}号", "validity": validity,
                         "status": Status.PUBLISHED, "themes": [rng.choice(vocab.themes)],
                         "full_text": "", "industries_include": [], "industries_exclude": [],
                         "sizes": [], "regions": [], "qualifications": []})
        for c in range(9):
            text = "。".join(_vary(rng.choice(vocab.sentences), rng) for _ in range(rng.randint(1, 3)))
            passages.append({"policy_id": n + 1, "ordinal": c, "kind": PassageKind.CLAUSE,
                             "section": f"{LABELS[c]}、", "heading": "", "text": text + "。",
                             "start": 0, "end": len(text), "meta": {}})
        q, a = rng.choice(vocab.questions), _vary(rng.choice(vocab.sentences), rng)
        passages.append({"policy_id": n + 1, "ordinal": 9, "kind": PassageKind.FAQ,
                         "section": "问答", "heading": q, "text": f"问：{q}\n答：{a}",
                         "start": 0, "end": len(a), "meta": {}})
    return policies, passages


def queries(passages: list[dict], n: int, seed: int) -> list[str]:
    """Questions built from random passages' words, as an enterprise would type them."""
    rng = random.Random(seed + 1)
    out = []
    for _ in range(n):
        p = rng.choice(passages)
        words = re.findall(r"[\u4e00-\u9fff]{2,6}", p["text"])
        picked = rng.sample(words, min(len(words), rng.randint(2, 4))) if words else ["补贴"]
        out.append("".join(picked) + rng.choice(ASK_SUFFIXES))
    return out


def load(engine: Engine, policies: list[dict], passages: list[dict]) -> None:
    """Write the corpus straight into the tables (the ingestion path is not what is measured)."""
    with session_scope(engine) as session:
        session.execute(insert(Policy), policies)
        for start in range(0, len(passages), 20_000):
            session.execute(insert(Passage), passages[start:start + 20_000])
        bump_version(session=session)


def stand_in_vectors(work: Path, model: str) -> int:
    """Fill ``model``'s vector cache in ``work`` with stand-ins for every text a searcher embeds:
    the sum of seeded random unit vectors of the text's character bigrams, normalised, so that
    texts sharing words lie close, as they would in a real model. Returns how many were added."""
    from kb.search.dense.configured import load_configured_encoder
    from kb.search.dense.vector_cache import VectorCache, text_key
    from kb.search.refresh import embedded_texts

    settings = Settings(home=work, index_dir=work / "indexes", embedding_model=model)
    encoder = load_configured_encoder(settings)
    if encoder is None:
        return 0
    cache = VectorCache(settings.vector_cache_dir, encoder.name, encoder.dim)
    engine = make_engine(settings.db_url)
    with Session(engine) as session:
        texts = embedded_texts(session)
    keys = [text_key(encoder.name, t) for t in texts]
    held = cache.get(keys)
    todo = [(k, t) for k, t in zip(keys, texts, strict=True) if k not in held]
    basis: dict[str, np.ndarray] = {}

    def bigram(b: str) -> np.ndarray:
        if b not in basis:
            rng = np.random.default_rng(int.from_bytes(b.encode()[:8].ljust(8, b"\0"), "little"))
            basis[b] = rng.standard_normal(encoder.dim).astype(np.float32)
        return basis[b]

    for start in range(0, len(todo), 5000):
        chunk = todo[start:start + 5000]
        rows = np.stack([sum((bigram(t[i:i + 2]) for i in range(len(t) - 1)),
                             np.ones(encoder.dim, dtype=np.float32)) for _, t in chunk])
        rows /= np.linalg.norm(rows, axis=1, keepdims=True)
        cache.put([k for k, _ in chunk], rows)
    cache.close()
    engine.dispose()
    return len(todo)
