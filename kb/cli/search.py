"""Search commands: ask, eval, reindex, and the embedding model."""

import argparse
import json
from pathlib import Path

from kb.cli.context import Context
from kb.errors import InvalidInput
from kb.search.answers import AnswerResult, ask


def _print_answer(result: AnswerResult) -> None:
    if result.answer is None:
        print(f"[置信度 {result.confidence:.2f}] {result.message}")
        if result.hits:
            print("\n相关条款，仅供参考：" if result.answer_type == "related"
                  else "\n可能相关（仅供参考）：")
    else:
        a = result.answer
        print(f"[置信度 {result.confidence:.2f}] {a['citation']}")
        if a.get("heading"):
            print(f"  {a['heading']}")
        print(f"\n{a['text']}\n")
        if a.get("superseded_by"):
            print(f"注意：该政策已由《{a['superseded_by']['title']}》替代。")
        if len(result.hits) > 1:
            print("其他相关条款：")
    for hit in result.hits[1:] if result.answer else result.hits:
        print(f"  - 《{hit.title}》{hit.doc_number or ''} {hit.section} [{hit.validity}] "
              f"({hit.score:.2f})")


def cmd_ask(args: argparse.Namespace, ctx: Context) -> int:
    """Answer a question from the knowledge base."""
    result = ask(searcher=ctx.searcher(), question=args.question, k=args.k,
                 threshold=ctx.settings.answer_threshold, hotline=ctx.settings.hotline)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_answer(result)
    return 0


def cmd_eval(args: argparse.Namespace, ctx: Context) -> int:
    """Measure retrieval on a corpus + queries in a throw-away knowledge base."""
    from kb.cli.progress import ProgressLine
    from kb.search.evaluate import evaluate, tune

    if len(args.corpus) != len(args.queries):
        raise InvalidInput("give one --queries file for each --corpus file")
    sets = [(Path(c), Path(q)) for c, q in zip(args.corpus, args.queries, strict=True)]
    if args.tune:
        if args.mode != "auto":
            raise InvalidInput("--tune measures every mode; use it with --mode auto")
        out = tune(sets=sets, settings=ctx.settings, k=args.k, progress=ProgressLine())
    elif len(sets) == 1:
        out = evaluate(corpus=sets[0][0], queries=sets[0][1], settings=ctx.settings, k=args.k,
                       mode=args.mode, answerability=args.answerability,
                       per_query=Path(args.per_query) if args.per_query else None,
                       correct=not args.no_correction, progress=ProgressLine())
    else:
        if args.per_query:
            raise InvalidInput("--per-query writes one set's queries; give one --corpus with it")
        out = {str(c): evaluate(corpus=c, queries=q, settings=ctx.settings, k=args.k,
                                mode=args.mode, answerability=args.answerability,
                                correct=not args.no_correction, progress=ProgressLine())
               for c, q in sets}
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        for key, value in out.items():
            print(f"{key:12} {value}")
    return 0


def cmd_reindex(args: argparse.Namespace, ctx: Context) -> int:
    """Rebuild every derived index from the database."""
    searcher = ctx.searcher()
    searcher.ensure_fresh(force=True)
    n = searcher.lexical.n_docs if searcher.lexical else 0
    dense = f"; dense index ({searcher.dense.encoder.name}) rebuilt" if searcher.dense else ""
    print(f"lexical index rebuilt: {n} passages{dense}")
    return 0


def cmd_model_install(args: argparse.Namespace, ctx: Context) -> int:
    """Copy (or, with network, download) an embedding model into KB_HOME/models."""
    from kb.search.dense.encoder import install_model

    ctx.settings.ensure_dirs()
    folder = install_model(source=args.source, home=ctx.settings.home, name=args.name)
    print(f"model installed: {folder}")
    print(f"use it with: KB_EMBEDDING_MODEL={args.name or args.source}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the search commands to the ``policykb`` parser."""
    p = sub.add_parser("ask", help="answer a question with cited clauses")
    p.add_argument("question")
    p.add_argument("--k", type=int, default=5, help="number of passages (default 5)")
    p.add_argument("--json", action="store_true", help="print the answer object as JSON")
    p.set_defaults(handler=cmd_ask)

    p = sub.add_parser("eval", help="measure retrieval on a corpus and queries (throw-away KB)")
    p.add_argument("--corpus", required=True, action="append",
                   help="JSONL: {id, title, text} (repeat with --queries for several sets); demo: the "
                        "bundled demo knowledge base")
    p.add_argument("--queries", required=True, action="append",
                   help="JSONL: {id, query, relevant_ids}")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--mode", choices=["lexical", "dense", "hybrid", "auto"], default="lexical",
                   help="auto: the setting --tune stored for the model (lexical without one)")
    p.add_argument("--tune", action="store_true",
                   help="measure lexical, dense and hybrid settings and store the best for the "
                        "configured embedding model (in KB_HOME/tuning.json)")
    p.add_argument("--answerability", action="store_true",
                   help="take half of the queries' documents out of the corpus (fixed by query id) "
                        "so those queries are unanswerable, and measure the replies")
    p.add_argument("--per-query", metavar="FILE",
                   help="write one JSON line per query: ranking, answer_type, answer_doc, confidence")
    p.add_argument("--no-correction", action="store_true",
                   help="search questions as typed: no pinyin or abbreviation matching of words "
                        "the corpus does not know (to measure what that matching does)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_eval)

    p = sub.add_parser("reindex", help="rebuild the search indexes from the database")
    p.set_defaults(handler=cmd_reindex)

    model = sub.add_parser("model", help="manage the embedding model for dense retrieval")
    msub = model.add_subparsers(dest="model_command", metavar="ACTION")
    msub.required = True
    p = msub.add_parser("install", help="install a model from a local folder (or a hub name, online)")
    p.add_argument("source", metavar="NAME|PATH")
    p.add_argument("--name", help="the name to install it under (default: derived from the source)")
    p.set_defaults(handler=cmd_model_install)
