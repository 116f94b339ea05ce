"""Question-to-question matching against published FAQ, for curated direct answers."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from kb.library.filters import Filters
from kb.search.text.synonyms import canonical
from kb.search.text.tokenize import bigrams

if TYPE_CHECKING:
    from kb.search.service import Candidates, Searcher

LEXICAL_POOL = 50  # FAQ rows among this many lexical candidates are compared
DENSE_POOL = 5  # plus this many nearest FAQ questions by vector


@dataclass
class FaqMatch:
    """The published FAQ question closest to the user's question."""

    passage_id: int
    question: str
    score: float  # in [0, 1]; 1 = the same question


def _grams(text: str) -> set[str]:
    return set(bigrams(canonical(text)))


def question_similarity(weights_of: Callable[[list[str]], np.ndarray], query: str,
                        question: str) -> float:
    """idf-weighted Dice overlap of two questions' bigrams, in [0, 1]."""
    q, f = _grams(query), _grams(question)
    if not q or not f:
        return 0.0
    terms = sorted(q | f)
    w = dict(zip(terms, weights_of(terms).tolist(), strict=True))
    total = sum(w[t] for t in q) + sum(w[t] for t in f)
    return 2 * sum(w[t] for t in q & f) / total if total > 0 else 0.0


def pool(searcher: "Searcher", query: str, cands: "Candidates",
         filters: Filters | None = None) -> list[int]:
    """Rows of the FAQ passages to compare with the question: those among the best lexical
    candidates and, with a model, the nearest FAQ questions by vector."""
    table = cands.snap.table
    top = cands.lex_rows[:LEXICAL_POOL]
    rows: list[int] = top[table.faq[top]].tolist()
    if searcher.questions is not None and searcher.setting.mode != "lexical":
        mask = table.mask(filters)
        ids, _ = searcher.questions.search(query, DENSE_POOL)
        rows += [int(r) for r in table.rows_of(ids) if r >= 0 and mask[r] and int(r) not in rows]
    return rows


def best_faq(searcher: "Searcher", query: str, cands: "Candidates", *,
             filters: Filters | None = None, rows: list[int] | None = None) -> FaqMatch | None:
    """The closest FAQ question among the candidates, scored lexically and, with a model, by
    vector (``rows``: the ``pool`` when the caller has it already)."""
    table, lexical = cands.snap.table, cands.snap.lexical
    rows = pool(searcher, query, cands, filters) if rows is None else list(rows)
    dense = searcher.questions if searcher.setting.mode != "lexical" else None
    if not rows:
        return None
    ids = np.asarray([int(table.passage_ids[r]) for r in rows], dtype=np.int64)
    questions = searcher.passage_headings(ids)
    # Passages deleted since this snapshot was read (a publish a moment ago) drop out.
    keep = np.asarray([int(i) in questions for i in ids], dtype=bool)
    if not keep.all():
        rows = [r for r, k in zip(rows, keep, strict=True) if k]
        ids = ids[keep]
        if not rows:
            return None
    lex = lexical.question_similarities(query, [questions[int(i)] for i in ids]).astype(np.float32)
    setting, score = searcher.setting, lex
    if dense is not None:
        w = 1.0 if setting.mode == "dense" else setting.weight
        score = (1 - w) * lex + w * np.clip(dense.similarity(query, ids), 0, 1)
    # A curated answer of a policy that no longer applies must match better to be given.
    score = score * table.factor[np.asarray(rows, dtype=np.int64)]
    best = int(np.argmax(score))
    return FaqMatch(int(ids[best]), questions[int(ids[best])], round(float(score[best]), 3))
