"""How sure a clause answers a question: a small logistic model over a few lexical features.

The features say how much of the question the clause holds (idf-weighted bigrams and words, its
content trigrams verbatim), how clearly it beats the best clause of a *different* policy (margin
1 − s2/s1, which weighs the coverages), how much of the question the knowledge base has never seen,
its length, and how well the next clause of the ranking does by the same measure (a question the
knowledge base covers tends to find several clauses; one it lacks, a single stray one). The
weights were fitted by ``bench/train_confidence.py`` on the two dev sets (each
also checked on the other) and ship in ``confidence.json`` with the threshold that fit chose
(``KB_ANSWER_THRESHOLD``'s default); the confidence estimates the chance the clause is right.
"""

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np

from kb.search.text.question_match import _FILLER_RE
from kb.search.text.synonyms import canonical
from kb.search.text.tokenize import bigrams, normalize, words

if TYPE_CHECKING:
    from kb.search.lexical import LexicalIndex

# A question most of whose weight (idf-weighted bigrams) the knowledge base has never seen, and of
# which it knows no more than FEW_KNOWN bigrams, is about something it does not hold (测试政策甲
# sharing 测试 and 政策 with an R&D clause): whatever the overlap, no more than UNSEEN_CAP sure. A
# small knowledge base (one notice) has never seen most of a paraphrase either, but recognises
# several of its bigrams (渠道, 咨询, 政策, 通过). On the dev sets no right answer had this much unseen.
MOSTLY_UNSEEN, FEW_KNOWN, UNSEEN_CAP = 0.6, 2, 0.2
FEATURES = ("calibrated", "unseen", "trigrams", "words_margin", "length", "runner_up")
# With a model's vectors: the clause's cosine to the question, its lead over the best clause of
# another policy, where it stands among the question's nearest clauses (a cosine alone is no
# confidence: it sits in a narrow band that unanswerable questions reach too), and whether the
# word and vector rankings both put the clause's policy first.
SEMANTIC = ("cosine", "cosine_margin", "cosine_z", "agree", "place_absent", "missing_max")
# The semantic model also reads two checks that vectors blur: a place the question names (南京,
# 涟水县) that the clause and its title never mention (another county's policy is not ours), and
# how specific the most specific question word the clause lacks is (种粮 against a grain-free
# clause about farms), as a share of the largest weight a word can have.
_SUFFIX = re.compile(r"(省|市|县|区|镇|乡|街道)$")
_ABROAD = ("国", "洲")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


@dataclass(frozen=True)
class Evidence:
    """The ranking a clause was found in: its rows and scores, best first, and their index."""

    rows: np.ndarray
    scores: np.ndarray
    policy_ids: np.ndarray  # of every row of the snapshot
    lexical: "LexicalIndex"  # of the snapshot
    dense_rows: np.ndarray | None = None  # the vector channel's candidates, nearest first
    dense_scores: np.ndarray | None = None  # their cosines
    lex_top: int = -1  # the lexical channel's best row


def _statistics(lexical: "LexicalIndex", channel: str, terms: list[str], question: str
                ) -> tuple[np.ndarray, np.ndarray]:
    """Which of ``terms`` the knowledge base knows, and their live idf in ``channel``: the
    ranking's statistics (unseen terms count as maximally specific, df 1: a question about
    what the knowledge base lacks), read from the question's kept statistics when there."""
    df = lexical.live_frequencies(channel, terms, question)
    return df > 0, np.asarray(lexical.weights_of(df), dtype=np.float64)


def _share(weight: np.ndarray, mask: np.ndarray) -> float:
    total = float(weight.sum())
    return float(weight[mask].sum() / total) if total > 0 else 0.0


def _trigrams(question: str, text: str) -> float:
    """Share of the question's content trigrams (fillers cut) found verbatim in the text."""
    runs = _CJK_RUN.findall(_FILLER_RE.sub(" ", canonical(normalize(question))))
    grams = [run[i:i + 3] for run in runs for i in range(len(run) - 2)]
    if not grams:
        return 0.0
    text = normalize(text)
    return sum(g in text for g in grams) / len(grams)


def _calibrated(ev: Evidence, coverages: np.ndarray, policy_ids: np.ndarray, index: int,
                family: set[int] | None) -> tuple[float, float]:
    """Ranked row ``index``'s idf-weighted bigram coverage (``coverages``: of every row) and its
    margin over the best row of another policy (``family``: the policies counted as its own)."""
    coverage = float(coverages[int(ev.rows[index])])
    if family and len(family) > 1:
        others = np.nonzero(~np.isin(policy_ids, list(family)))[0]
    else:
        others = np.nonzero(policy_ids != (next(iter(family)) if family else policy_ids[index]))[0]
    s1 = float(ev.scores[index])
    s2 = float(ev.scores[others[0]]) if len(others) else 0.0
    return coverage, (min(1.0, max(0.0, 1.0 - s2 / s1)) if s1 > 0 else 0.0)


def _combined(coverage: float, margin: float) -> float:
    return coverage * (1.0 + 2.0 * margin) / 3.0


def features(question: str, ev: Evidence, index: int, family: set[int] | None = None,
             text: str = "") -> dict[str, float]:
    """The model's inputs for ranked row ``index`` as the answer to ``question``.

    ``text``: the clause as shown (title, heading, text), for the verbatim trigram share.
    """
    lexical = ev.lexical
    canon = canonical(question)
    grams = list(dict.fromkeys(bigrams(canon)))
    terms = list(dict.fromkeys(words(canon)))
    out = dict.fromkeys(FEATURES, 0.0)
    if not grams or index >= len(ev.rows):
        return out
    row = int(ev.rows[index])
    known, w = _statistics(lexical, "bigrams", grams, question)
    policy_ids = ev.policy_ids[ev.rows]
    # The ranking computed every row's coverage of the question already (kept per snapshot).
    coverages = lexical.coverages(question)
    coverage, margin = _calibrated(ev, coverages, policy_ids, index, family)
    if len(ev.rows) > 1:  # the best clause other than this one
        other = 1 if index == 0 else 0
        out["runner_up"] = _combined(*_calibrated(ev, coverages, policy_ids, other, None))
    word_cov, ww, held = 0.0, np.zeros(0), np.zeros(0, dtype=bool)
    if terms:
        _, ww = _statistics(lexical, "words", terms, question)
        held = lexical.holds("words", row, terms, question)
        word_cov = _share(ww, held)
    out["calibrated"] = _combined(coverage, margin)
    out["unseen"] = _share(w, ~known)  # what the knowledge base has never seen
    out["known_bigrams"] = int(known.sum())  # not a model input: for the cap in confidence()
    out["trigrams"] = _trigrams(question, text)
    out["words_margin"] = word_cov * margin
    out["length"] = math.log1p(len(grams))
    if ev.dense_rows is not None and ev.dense_scores is not None and len(ev.dense_rows):
        out |= _semantic(ev, ev.dense_rows, ev.dense_scores, row,
                         family or {int(ev.policy_ids[row])})
        out["place_absent"] = _place_absent(question, text)
        if terms:
            top = float(np.asarray(lexical.weights_of(np.ones(1)))[0]) or 1.0
            out["missing_max"] = float(ww[~held].max()) / top if (~held).any() else 0.0
    return out


def _place_absent(question: str, text: str) -> float:
    """1 when the question names a place (jieba: ns) that ``text`` never mentions."""
    from kb.search.text.tokenize import places

    for place in places(question):
        if place.endswith(_ABROAD):  # 在美国参展, 德国的展会: where the firm trades, not a county
            continue
        stem = _SUFFIX.sub("", place) or place
        if stem not in text:
            return 1.0
    return 0.0


def _semantic(ev: Evidence, dense_rows: np.ndarray, dense_scores: np.ndarray, row: int,
              family: set[int]) -> dict[str, float]:
    """The SEMANTIC features of ``row`` from the vector channel's candidates and cosines."""
    cos = dense_scores.astype(np.float64)
    at = np.flatnonzero(dense_rows == row)
    # A clause the vector channel did not bring is no nearer than its last candidate.
    mine = float(cos[at[0]]) if len(at) else float(cos[-1])
    policies = ev.policy_ids[dense_rows]
    others = cos[~np.isin(policies, list(family))]
    other = float(others[0]) if len(others) else float(cos[-1])
    spread = float(cos.std()) or 1.0
    agree = float(int(policies[0]) in family)
    if ev.lex_top >= 0:
        agree = (agree + float(int(ev.policy_ids[ev.lex_top]) in family)) / 2
    return {"cosine": mine, "cosine_margin": mine - other,
            "cosine_z": (mine - float(cos.mean())) / spread, "agree": agree}


@dataclass(frozen=True)
class Model:
    """Logistic weights over its features (raw values), an intercept, and the threshold the fit
    chose: below it no answer is given."""

    weights: dict[str, float]
    intercept: float
    threshold: float = 0.5
    features: tuple[str, ...] = FEATURES

    def probability(self, x: dict[str, float]) -> float:
        """P(the clause is the right answer) for one feature dict."""
        z = self.intercept + sum(self.weights.get(k, 0.0) * x.get(k, 0.0) for k in self.features)
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def to_dict(self) -> dict[str, Any]:
        """The shipped JSON form."""
        return {"features": list(self.features), "weights": self.weights,
                "intercept": self.intercept, "threshold": self.threshold}


def _model(data: dict[str, Any]) -> Model:
    return Model({k: float(v) for k, v in data["weights"].items()}, float(data["intercept"]),
                 float(data["threshold"]), tuple(data["features"]))


@lru_cache(maxsize=1)
def _shipped() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        resources.files("kb.search").joinpath("confidence.json").read_text("utf-8"))
    return data


@lru_cache(maxsize=8)
def shipped(encoder: str | None = None) -> Model:
    """The model fitted by ``bench/train_confidence.py`` (kb/search/confidence.json) for ranking
    with ``encoder``'s vectors, or the lexical one (no encoder, or none fitted for it)."""
    data = _shipped()
    entry = data.get("semantic", {}).get(encoder or "")
    return _model(entry if entry else data["lexical"])


def confidence(question: str, ev: Evidence, index: int = 0, family: set[int] | None = None,
               text: str = "", model: Model | None = None) -> float:
    """The calibrated confidence that ranked row ``index`` answers ``question``, in [0, 1]."""
    if index >= len(ev.rows):
        return 0.0
    x = features(question, ev, index, family, text)
    p = (model or shipped()).probability(x)
    lacking = x["unseen"] >= MOSTLY_UNSEEN and x.get("known_bigrams", 0) <= FEW_KNOWN
    return round(min(p, UNSEEN_CAP) if lacking else p, 3)
