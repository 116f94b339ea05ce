"""Fit the answer-confidence model (kb/search/confidence.py) on dev sets and print how it does.

    python bench/train_confidence.py --set ../shared/eval/beijing-gov-faq-dev \
        --set ../shared/eval/ncp-covid-policy-dev [--write]

Each set is run as ``policykb eval --answerability`` runs it (half of the queries lose their
documents, fixed by query id); for every query the top clause's features are computed and
labelled right (an answerable query whose top document is relevant) or not. The script prints,
for each set, the model fitted on the *other* set(s) and checked on it, then the model fitted on
all sets, each at the threshold that is safe on its training data (wrong ≤ 0.045 of answerable,
answered ≤ 0.09 of unanswerable: margins under the targets 0.05 / 0.10), and each set's ceiling:
a model fitted on that set alone at the threshold chosen on it with hindsight. ``--write`` stores the
all-sets model in kb/search/confidence.json; the threshold goes into KB_ANSWER_THRESHOLD's default.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kb.config import Settings  # noqa: E402
from kb.search.answerability import answerable  # noqa: E402
from kb.search.confidence import FEATURES, Evidence, Model, features  # noqa: E402
from kb.search.evaluate import _Run  # noqa: E402
from kb.search.intent import has_chinese, is_vague  # noqa: E402

MAX_WRONG, MAX_UNANSWERED = 0.045, 0.09
L2 = 1.0  # ridge on standardised weights: a few features, ~1,000 queries per set


def collect(folder: Path) -> dict:
    """Features, labels and answerability of every query of one dev set."""
    import tempfile

    with tempfile.TemporaryDirectory() as home:
        run = _Run(folder / "corpus.jsonl", folder / "queries.jsonl", None,
                   Settings(home=Path(home), embedding_model="none"), answerability=True)
        try:
            xs, ys, ans, skip = [], [], [], []
            cands, _ = run.candidates()
            for q, c in zip(run.queries, cands, strict=True):
                ranked = run.searcher.fused(c, limit=50)
                ev = Evidence(ranked.rows, ranked.scores, ranked.snap.table.policy_ids,
                              ranked.snap.lexical)
                shown = (run.searcher.hits([int(ranked.snap.table.passage_ids[ranked.rows[0]])],
                                           [1.0]) if len(ranked.rows) else [])
                text = "\n".join((shown[0].title, shown[0].heading, shown[0].text)) if shown else ""
                x = features(q["query"], ev, 0, text=text)
                doc = (run.key_of[int(ranked.snap.table.policy_ids[ranked.rows[0]])]
                       if len(ranked.rows) else None)
                xs.append([x[f] for f in FEATURES])
                ys.append(answerable(q) and doc in set(map(str, q["relevant_ids"])))
                ans.append(answerable(q))
                # Never answered whatever the model says: no hit, no Chinese, a bare subject.
                skip.append(not len(ranked.rows) or not has_chinese(q["query"])
                            or is_vague(q["query"]))
        finally:
            run.close()
    return {"x": np.asarray(xs), "y": np.asarray(ys, bool), "ans": np.asarray(ans, bool),
            "skip": np.asarray(skip, bool), "name": folder.name}


def fit(sets: list[dict]) -> Model:
    """L2-regularised logistic regression by Newton's method, on standardised features; each
    set weighs the same whatever its size, so the fit serves both kinds of corpus."""
    x = np.vstack([d["x"] for d in sets])
    y = np.concatenate([d["y"] for d in sets]).astype(float)
    sw = np.concatenate([np.full(len(d["y"]), len(x) / (len(sets) * len(d["y"]))) for d in sets])
    mu, sd = x.mean(0), x.std(0) + 1e-9
    z = np.hstack([np.ones((len(x), 1)), (x - mu) / sd])
    w = np.zeros(z.shape[1])
    reg = np.full(z.shape[1], L2)
    reg[0] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-z @ w))
        grad = z.T @ (sw * (p - y)) + reg * w
        hess = (z * (sw * p * (1 - p))[:, None]).T @ z + np.diag(reg)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    coef = w[1:] / sd
    return Model({f: round(float(c), 5) for f, c in zip(FEATURES, coef, strict=True)},
                 round(float(w[0] - (coef * mu).sum()), 5))


def probabilities(model: Model, data: dict) -> np.ndarray:
    """The model's confidence per query (0 for queries never answered)."""
    p = np.asarray([model.probability(dict(zip(FEATURES, row, strict=True))) for row in data["x"]])
    return np.where(data["skip"], 0.0, p)


def shares(p: np.ndarray, data: dict, t: float) -> dict:
    """Answerable correct / wrong and unanswerable answered at threshold ``t``."""
    on, y, ans = p >= t, data["y"], data["ans"]
    n_ans, n_no = max(ans.sum(), 1), max((~ans).sum(), 1)
    return {"correct": round(float((on & y).sum() / n_ans), 4),
            "wrong": round(float((on & ans & ~y).sum() / n_ans), 4),
            "unanswered_answered": round(float((on & ~ans).sum() / n_no), 4)}


def safe_threshold(model: Model, sets: list[dict]) -> float:
    """The lowest threshold at which every training set stays within the safety margins."""
    probs = [probabilities(model, d) for d in sets]
    for t in np.arange(0.05, 1.0, 0.01):
        if all(shares(p, d, t)["wrong"] <= MAX_WRONG
               and shares(p, d, t)["unanswered_answered"] <= MAX_UNANSWERED
               for p, d in zip(probs, sets, strict=True)):
            return round(float(t), 2)
    return 1.0


def ceiling(p: np.ndarray, data: dict) -> dict:
    """The most answerable questions answered correctly at any threshold chosen with hindsight
    on this very set within the targets (wrong ≤ 0.05, unanswerable answered ≤ 0.10): what the
    features can separate at best, whatever threshold ships."""
    best = {"correct": 0.0, "threshold": None}
    for t in np.unique(p):
        got = shares(p, data, float(t))
        if (got["wrong"] <= 0.05 and got["unanswered_answered"] <= 0.10
                and got["correct"] > best["correct"]):
            best = {"correct": got["correct"], "threshold": round(float(t), 3)}
    return best


def main() -> None:
    """Collect, fit crosswise and on all sets, print, and optionally write the model."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--set", action="append", type=Path, required=True,
                    help="a dev-set folder holding corpus.jsonl and queries.jsonl")
    ap.add_argument("--write", action="store_true", help="store the all-sets model")
    args = ap.parse_args()
    sets = [collect(f) for f in args.set]
    report: dict = {"cross": {}}
    for i, test in enumerate(sets):
        train = [d for j, d in enumerate(sets) if j != i] or [test]
        model = fit(train)
        t = safe_threshold(model, train)
        report["cross"][test["name"]] = {"threshold": t} | shares(probabilities(model, test),
                                                                  test, t)
    model = fit(sets)
    t = safe_threshold(model, sets)
    report["all"] = {"threshold": t, "model": model.to_dict()} | {
        d["name"]: shares(probabilities(model, d), d, t) for d in sets}
    report["ceiling"] = {d["name"]: ceiling(probabilities(fit([d]), d), d) for d in sets}
    print(json.dumps(report, ensure_ascii=False, indent=1))
    if args.write:
        out = Path(__file__).resolve().parents[1] / "kb" / "search" / "confidence.json"
        out.write_text(json.dumps(model.to_dict() | {"threshold": t, "trained_on": [
            d["name"] for d in sets]}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
