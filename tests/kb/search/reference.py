"""Straightforward reference implementations of the answer path's optimised parts.

The searcher reads citations in one Core query and compares FAQ questions all at once; these do
it the plain way (ORM objects, one question at a time), so a test can check the optimised path
gives the same answers.
"""

import numpy as np
from sqlmodel import Session

from kb.models import FaqItem, Interpretation, Passage, Policy, Status
from kb.search.faq import question_similarity
from kb.search.lexical import LexicalIndex
from kb.search.service import Hit, Searcher, Snapshot


def _names(record) -> dict | None:  # noqa: ANN001
    names = {k: getattr(record, k) for k in ("drafter", "reviewer", "publisher")}
    return names if any(names.values()) else None


class ReferenceLexical(LexicalIndex):
    """A lexical index comparing FAQ questions one by one."""

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


