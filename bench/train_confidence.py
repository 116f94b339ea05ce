"""Fit the answer-confidence models (kb/search/confidence.py) on dev sets and print how they do.

    python bench/train_confidence.py --set ../shared/eval/beijing-gov-faq-dev \
        --set ../shared/eval/ncp-covid-policy-dev [--county bench/county/questions.jsonl] \
        [--model e5] [--cache DIR] [--write]

Each third-party set is run as ``policykb eval --answerability`` runs it (half of the queries lose
their documents, fixed by query id); the county set (questions written over the demo knowledge
base, its neighbours unanswerable by design) is run on the demo as it is. For every query the
clause ``ask`` would show first gets its features, labelled right (an answerable query whose
clause's document is relevant) or not.

Without ``--model`` the lexical model is fitted: each set checked by the model fitted on the
others, then all sets, each at the threshold safe on its training data. With ``--model`` (ranked
with the model's shipped fusion) the semantic model is fitted on all sets, the county set weighing
as much as the two others together; its threshold is chosen on the county set's five folds (each
fold scored by a model fitted without it), within the county limits (COUNTY_WRONG, below) and
the third-party margins on their own data. Each set's ceiling is also
printed: a model fitted on it alone, at the threshold chosen on it with hindsight. ``--write``
stores the model and its threshold in kb/search/confidence.json, the one place both live.
"""

import argparse
import json
import pickle
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kb.config import Settings  # noqa: E402
from kb.search.answerability import answerable  # noqa: E402
from kb.search.answers import evidence, family_of, successor_first  # noqa: E402
from kb.search.confidence import FEATURES, SEMANTIC, Model, features  # noqa: E402
from kb.search.dense.encoder import Encoder  # noqa: E402
from kb.search.evaluate import DEMO, EvalRun  # noqa: E402
from kb.search.intent import has_chinese, is_vague  # noqa: E402
from kb.search.tuning import effective_setting  # noqa: E402

MAX_WRONG, MAX_UNANSWERED = 0.045, 0.09
# The county limits the threshold is held to. The targets are 0.03 wrong and 0.10 of the
# neighbours answered; with these features the neighbours (same subject, a detail the knowledge
# base lacks: 省级奖励, 出口退税率, 涟水县) cannot be kept under 0.10 without answering fewer county
# questions right than the lexical model did (0.37 against 0.39), so the neighbours are reported,
# not held, and the wrong answers are held to 0.04.
COUNTY_WRONG, COUNTY_NEIGHBOURS = 0.04, 1.0
L2 = 1.0  # ridge on standardised weights: a few features, ~1,000 queries per set


def collect(corpus: Path, queries: Path, name: str, *, encoder: Encoder | None = None,
            cache: Path | None = None, answerability: bool = True) -> dict:
    """Features, labels and answerability of every query of one set, ranked as ``ask`` ranks."""
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(home=Path(home), embedding_model="none", vector_cache_dir=cache)
        run = EvalRun(corpus, queries, encoder, settings, answerability=answerability)
        if encoder is not None:
            run.searcher.setting = effective_setting(home=Path(home), model=encoder.name)
        names = FEATURES + (SEMANTIC if encoder is not None else ())
        try:
            xs, ys, ans, skip, ids = [], [], [], [], []
            cands, _ = run.candidates()
            related = run.settings.related_threshold
            for q, c in zip(run.queries, cands, strict=True):
                searched, typed = run.asked(q)
                ranked = run.searcher.fused(c, limit=50)
                hits = run.searcher.group(ranked, k=5, per_policy=2)
                x, doc = dict.fromkeys(names, 0.0), None
                if hits:  # the clause ``decide`` shows first, with the same family
                    hits = successor_first(run.searcher, searched, ranked, hits, related)
                    table = ranked.snap.table
                    at = np.nonzero(table.passage_ids[ranked.rows] == hits[0].passage_id)[0]
                    text = "\n".join((hits[0].title, hits[0].heading, hits[0].text))
                    x = features(searched, evidence(ranked), int(at[0]) if len(at) else 0,
                                 family_of(hits), text)
                    doc = run.key_of[hits[0].policy_id]
                xs.append([x.get(f, 0.0) for f in names])
                ys.append(answerable(q) and doc in set(map(str, q["relevant_ids"])))
                ans.append(answerable(q))
                ids.append(str(q["id"]))
                # Never answered whatever the model says: no hit, no Chinese, a bare subject.
                skip.append(not hits or not has_chinese(typed) or is_vague(typed))
        finally:
            run.close()
    return {"x": np.asarray(xs), "y": np.asarray(ys, bool), "ans": np.asarray(ans, bool),
            "skip": np.asarray(skip, bool), "name": name, "features": names,
            "fold": np.asarray([zlib.crc32(i.encode()) % 5 for i in ids])}


def subset(data: dict, keep: np.ndarray) -> dict:
    """The queries of ``data`` where ``keep`` holds."""
    return data | {k: data[k][keep] for k in ("x", "y", "ans", "skip", "fold")}


def fit(sets: list[dict], weights: list[float] | None = None) -> Model:
    """L2-regularised logistic regression by Newton's method, on standardised features; each
    set weighs ``weights`` (equal by default) whatever its size, so the fit serves every kind."""
    names = sets[0]["features"]
    weights = weights or [1.0] * len(sets)
    x = np.vstack([d["x"] for d in sets])
    y = np.concatenate([d["y"] for d in sets]).astype(float)
    total = sum(weights)
    sw = np.concatenate([np.full(len(d["y"]), w * len(x) / (total * len(d["y"])))
                         for d, w in zip(sets, weights, strict=True)])
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
    return Model({f: round(float(c), 5) for f, c in zip(names, coef, strict=True)},
                 round(float(w[0] - (coef * mu).sum()), 5), features=tuple(names))


def probabilities(model: Model, data: dict) -> np.ndarray:
    """The model's confidence per query (0 for queries never answered)."""
    names = data["features"]
    p = np.asarray([model.probability(dict(zip(names, row, strict=True))) for row in data["x"]])
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


def county_threshold(oof: np.ndarray, county: dict, model: Model, others: list[dict]) -> float:
    """The lowest threshold within the county targets on its out-of-fold confidences (with a
    margin) and the third-party ones on the model's own."""
    probs = [probabilities(model, d) for d in others]
    for t in np.arange(0.05, 1.0, 0.01):
        got = shares(oof, county, t)
        if (got["wrong"] <= COUNTY_WRONG and got["unanswered_answered"] <= COUNTY_NEIGHBOURS
                and all(shares(p, d, t)["wrong"] <= MAX_WRONG
                        and shares(p, d, t)["unanswered_answered"] <= MAX_UNANSWERED
                        for p, d in zip(probs, others, strict=True))):
            return round(float(t), 2)
    return 1.0


def semantic(sets: list[dict]) -> tuple[Model, dict]:
    """The semantic model on all sets (the county one first, weighing as much as the others
    together), its threshold from the county folds, and the report."""
    county, others = sets[0], sets[1:]
    weights = [float(max(len(others), 1))] + [1.0] * len(others)
    oof = np.zeros(len(county["y"]))
    for k in range(5):
        out = county["fold"] == k
        model = fit([subset(county, ~out)] + others, weights)
        oof[out] = probabilities(model, subset(county, out))
    model = fit(sets, weights)
    t = county_threshold(oof, county, model, others)
    report = {"threshold": t, "county_folds": shares(oof, county, t),
              "all": {d["name"]: shares(probabilities(model, d), d, t) for d in sets},
              "model": model.to_dict(),
              "ceiling": {d["name"]: ceiling(probabilities(fit([d]), d), d) for d in sets}}
    return Model(model.weights, model.intercept, t, model.features), report


def main() -> None:
    """Collect, fit, print, and optionally write the model."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--set", action="append", type=Path, default=[],
                    help="a dev-set folder holding corpus.jsonl and queries.jsonl")
    ap.add_argument("--county", type=Path, help="questions over the demo knowledge base")
    ap.add_argument("--model", help="fit the semantic model for this embedding model")
    ap.add_argument("--cache", type=Path, help="vector cache folder (embeds each text once)")
    ap.add_argument("--features", type=Path, help="keep the collected features in this file "
                    "and read them from it next time")
    ap.add_argument("--write", action="store_true", help="store the fitted model")
    args = ap.parse_args()
    encoder = None
    if args.model:
        from kb.search.dense.encoder import load_encoder

        encoder = load_encoder(name=args.model, home=Path(tempfile.gettempdir()))
        if encoder is None:
            sys.exit(f"model {args.model!r} cannot be loaded")
        if not args.county:
            sys.exit("--model needs --county: its threshold is chosen on the county folds")
    sets = load_features(args.features)
    if sets is None:
        sets = [] if not args.county else [collect(Path(DEMO), args.county, "county",
                                                   encoder=encoder, cache=args.cache,
                                                   answerability=False)]
        sets += [collect(f / "corpus.jsonl", f / "queries.jsonl", f.name, encoder=encoder,
                         cache=args.cache) for f in args.set]
        if args.features:
            args.features.write_bytes(pickle.dumps(sets))
    out = Path(__file__).resolve().parents[1] / "kb" / "search" / "confidence.json"
    shipped = json.loads(out.read_text("utf-8"))
    if encoder is not None:
        model, report = semantic(sets)
        print(json.dumps(report, ensure_ascii=False, indent=1))
        shipped.setdefault("semantic", {})[encoder.name] = model.to_dict() | {
            "trained_on": [d["name"] for d in sets]}
    else:
        report: dict = {"cross": {}}
        for i, test in enumerate(sets):
            train = [d for j, d in enumerate(sets) if j != i] or [test]
            model = fit(train)
            t = safe_threshold(model, train)
            report["cross"][test["name"]] = {"threshold": t} | shares(
                probabilities(model, test), test, t)
        model = fit(sets)
        t = safe_threshold(model, sets)
        report["all"] = {"threshold": t, "model": model.to_dict()} | {
            d["name"]: shares(probabilities(model, d), d, t) for d in sets}
        report["ceiling"] = {d["name"]: ceiling(probabilities(fit([d]), d), d) for d in sets}
        print(json.dumps(report, ensure_ascii=False, indent=1))
        shipped["lexical"] = Model(model.weights, model.intercept, t,
                                   model.features).to_dict() | {
            "trained_on": [d["name"] for d in sets]}
    if args.write:
        out.write_text(json.dumps(shipped, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {out}")


def load_features(path: Path | None) -> list[dict] | None:
    """Sets collected by an earlier run (``--features``), if that file exists."""
    if path is None or not path.exists():
        return None
    return pickle.loads(path.read_bytes())


if __name__ == "__main__":
    main()
