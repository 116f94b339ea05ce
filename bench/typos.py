"""What the vocabulary matching (kb/search/text/vocabulary.py) does for mistyped questions.

    python bench/typos.py --set ../shared/eval/ncp-covid-policy-dev [--set ...] [--seed 7] \
        [--model e5 --cache var/indexes/vectors]

Each query gets one pinyin typo: in one of its words of three or more characters that the corpus
holds, one character is swapped for another character of the corpus that sounds the same, so the
word becomes one the corpus has never seen (高新技术企业 → 高心技术企业). Prints recall@1 and MRR@10
of the queries as written and as mistyped, each searched with and without the matching.
"""

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kb.config import Settings  # noqa: E402
from kb.search.evaluate import evaluate, load_corpus, load_queries  # noqa: E402
from kb.search.text.tokenize import jieba_tokenizer, words  # noqa: E402
from kb.search.text.vocabulary import Vocabulary, sound  # noqa: E402


def mistype(queries: list[dict], vocab: Vocabulary, seed: int) -> list[dict]:
    """The queries with one homophone typo each (queries with no word to mistype are kept)."""
    rng = random.Random(seed)
    chars = sorted({c for t in vocab.df for c in t if "\u4e00" <= c <= "\u9fff"})
    by_sound: dict[str, list[str]] = {}
    for c in chars:
        by_sound.setdefault(sound(c), []).append(c)
    freq = jieba_tokenizer().FREQ
    out = []
    for q in queries:
        text = q["query"]
        options = []
        for w in dict.fromkeys(words(text)):
            if len(w) >= 3 and vocab.knows(w) and w in text:
                for i, c in enumerate(w):
                    for h in by_sound.get(sound(c), []):
                        typo = w[:i] + h + w[i + 1:]
                        if h != c and not vocab.knows(typo) and not freq.get(typo):
                            options.append((w, typo))
        if options:
            w, typo = rng.choice(options)
            text = text.replace(w, typo, 1)
        out.append(q | {"query": text})
    return out


def main() -> None:
    """Measure each set as written and mistyped, with and without the matching."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--set", action="append", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--model", default="none",
                    help="embedding model, ranked with its tuned fusion (default: lexical)")
    ap.add_argument("--cache", type=Path, help="vector cache folder (embeds each text once)")
    args = ap.parse_args()
    report = {}
    for folder in args.set:
        items = load_corpus(folder / "corpus.jsonl")
        vocab = Vocabulary.from_texts(f"{i.record.title}\n{i.record.text}" for i in items)
        queries = load_queries(folder / "queries.jsonl")
        typed = mistype(queries, vocab, args.seed)
        changed = sum(a["query"] != b["query"] for a, b in zip(queries, typed, strict=True))
        row: dict = {"mistyped_queries": changed, "of": len(queries)}
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "typos.jsonl"
            path.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in typed),
                            encoding="utf-8")
            for name, qpath in (("as written", folder / "queries.jsonl"), ("mistyped", path)):
                for correct in (False, True):
                    settings = Settings(home=Path(tmp) / "home", embedding_model=args.model,
                                        vector_cache_dir=args.cache)
                    m = evaluate(corpus=folder / "corpus.jsonl", queries=qpath, correct=correct,
                                 settings=settings,
                                 mode="lexical" if args.model == "none" else "auto")
                    key = f"{name}, {'matching' if correct else 'no matching'}"
                    row[key] = {k: m[k] for k in ("recall@1", "mrr@10")}
        report[folder.name] = row
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
