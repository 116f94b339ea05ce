"""Straightforward reference implementations of the answer path's optimised parts.

The searcher scores from gathered postings with live statistics, reads citations in one Core
query and compares FAQ questions all at once; these do it the plain way (textbook BM25 term by
term, ORM objects, one question at a time), so a test can check the optimised path gives the
same answers.
"""

from collections import Counter

import numpy as np
from sqlmodel import Session

from kb.library.schemas import PolicyRecord
from kb.models import FaqItem, Interpretation, Passage, Policy, Status
from kb.search.faq import question_similarity
from kb.search.lexical import LexicalIndex, QueryStats
from kb.search.refresh import Snapshot
from kb.search.service import Hit, Searcher
from kb.search.text.synonyms import canonical, expand
from kb.search.text.tokenize import bigrams, words


def _names(record: PolicyRecord) -> dict | None:
    names = {k: getattr(record, k) for k in ("drafter", "reviewer", "publisher")}
    return names if any(names.values()) else None


def _column(index: LexicalIndex, channel: str, term: str) -> tuple[np.ndarray, np.ndarray]:
    """Global rows and term frequencies of ``term`` over every segment."""
    rows, tfs = [], []
    for seg, off in zip(index.segments, index.offsets, strict=True):
        p = seg[channel]
        c = p.vocab.get(term)
        if c is not None:
            s, e = p.tf.indptr[c], p.tf.indptr[c + 1]
            rows.append(p.tf.indices[s:e].astype(np.int64) + off)
            tfs.append(p.tf.data[s:e])
    if not rows:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    return np.concatenate(rows), np.concatenate(tfs)


class ReferenceLexical(LexicalIndex):
    """A lexical index scoring term by term from the textbook formulas, comparing FAQ questions
    one by one."""

    def _plain_bm25(self, channel: str, tokens: list[str]) -> np.ndarray:
        cfg, alive = self.cfg, self.alive
        lengths = np.concatenate([s[channel].lengths for s in self.segments])
        n = int(alive.sum())
        avgdl = lengths[alive].sum() / n if n and lengths[alive].sum() else 1.0
        out = np.zeros(self.n_docs)
        for term, qtf in Counter(tokens).items():
            rows, tf = _column(self, channel, term)
            keep = alive[rows]
            rows, tf = rows[keep], tf[keep].astype(np.float64)
            idf = np.log1p((n - len(rows) + 0.5) / (len(rows) + 0.5))
            norm = cfg.k1 * (1 - cfg.b + cfg.b * lengths[rows] / avgdl)
            np.add.at(out, rows, idf * (1 + np.log(qtf)) * tf * (cfg.k1 + 1) / (tf + norm))
        return out

    def _plain_coverage(self, query: str) -> np.ndarray:
        grams = list(dict.fromkeys(bigrams(canonical(query))))
        n = max(int(self.alive.sum()), 1)
        out, total = np.zeros(self.n_docs), 0.0
        for g in grams:
            rows, _ = _column(self, "bigrams", g)
            rows = rows[self.alive[rows]]
            w = np.log1p((n - max(len(rows), 1) + 0.5) / (max(len(rows), 1) + 0.5))
            out[rows] += w
            total += w
        return out / total if total > 0 else out

    def stats(self, query: str) -> QueryStats:
        """Scores and coverages, the plain way."""
        expanded = expand(query)
        out = np.zeros(self.n_docs)
        for channel, weight, tokens in (("words", self.cfg.word_weight, words(expanded)),
                                        ("bigrams", 1 - self.cfg.word_weight, bigrams(expanded))):
            s = self._plain_bm25(channel, tokens)
            if s.max(initial=0) > 0:
                out += weight * s / s.max()
        cov = self._plain_coverage(query)
        out = (out + self.cfg.coverage_bonus * cov) / (1 + self.cfg.coverage_bonus)
        return QueryStats(out, cov)

    def question_similarities(self, query: str, questions: list[str]) -> np.ndarray:
        """One ``question_similarity`` per question."""
        return np.asarray([question_similarity(self.term_weights, query, q) for q in questions],
                          dtype=np.float64)


class ReferenceSearcher(Searcher):
    """A searcher reading citations as ORM objects, query by query."""

    def ensure_fresh(self, *, force: bool = False) -> None:
        """As the searcher's, with the reference lexical index in the snapshot."""
        super().ensure_fresh(force=force)
        snap = self.snap
        if snap is not None and not isinstance(snap.lexical, ReferenceLexical):
            lex = snap.lexical
            self.snap = Snapshot(snap.table, ReferenceLexical(lex.segments, lex.cfg, lex.alive),
                                 snap.generation)

    def hits(self, passage_ids: list[int], scores: list[float]) -> list[Hit]:
        """Hits read passage by passage through the ORM."""
        out = []
        with Session(self.engine) as session:
            for pid, score in zip(passage_ids, scores, strict=True):
                p = session.get(Passage, pid)
                if p is None:
                    continue
                pol = session.get(Policy, p.policy_id)
                sup = session.get(Policy, pol.superseded_by_id) if pol.superseded_by_id else None
                faq = session.get(FaqItem, p.faq_id) if p.faq_id else None
                interp = (session.get(Interpretation, p.interpretation_id)
                          if p.interpretation_id and not p.faq_id else None)
                signoff = (faq and _names(faq)) or (interp and _names(interp)) or _names(pol)
                out.append(Hit(
                    passage_id=p.id, policy_id=pol.id, title=pol.title, doc_number=pol.doc_number,
                    section=p.section, heading=p.heading, kind=p.kind, text=p.text,
                    score=round(score, 4), validity=pol.validity,
                    superseded_by={"policy_id": sup.id, "title": sup.title,
                                   "doc_number": sup.doc_number} if sup else None,
                    meta=p.meta, faq_id=p.faq_id, signoff=signoff))
        return out

    def passage_headings(self, passage_ids: np.ndarray) -> dict[int, str]:
        """Headings of published passages, one ORM read each."""
        out = {}
        with Session(self.engine) as session:
            for pid in passage_ids.tolist():
                p = session.get(Passage, pid)
                if p is not None and session.get(Policy, p.policy_id).status == Status.PUBLISHED:
                    out[p.id] = p.heading
        return out


