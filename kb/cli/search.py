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
        raise InvalidInput("每个 --corpus 文件要配一个 --queries 文件")
    sets = [(Path(c), Path(q)) for c, q in zip(args.corpus, args.queries, strict=True)]
    if args.tune:
        if args.mode != "auto":
            raise InvalidInput("--tune 会测量每种检索方式，须与 --mode auto 一起使用")
        out = tune(sets=sets, settings=ctx.settings, k=args.k, progress=ProgressLine())
    elif len(sets) == 1:
        out = evaluate(corpus=sets[0][0], queries=sets[0][1], settings=ctx.settings, k=args.k,
                       mode=args.mode, answerability=args.answerability,
                       per_query=Path(args.per_query) if args.per_query else None,
                       correct=not args.no_correction, progress=ProgressLine())
    else:
        if args.per_query:
            raise InvalidInput("--per-query 只写一组查询的结果，只能配一个 --corpus")
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
    dense = f"；向量索引（{searcher.dense.encoder.name}）已重建" if searcher.dense else ""
    print(f"关键词索引已重建：{n} 个段落{dense}")
    return 0


def cmd_model_install(args: argparse.Namespace, ctx: Context) -> int:
    """Copy (or, with network, download) an embedding model into KB_HOME/models."""
    from kb.search.dense.encoder import install_model

    ctx.settings.ensure_dirs()
    folder = install_model(source=args.source, home=ctx.settings.home, name=args.name)
    print(f"模型已安装：{folder}")
    print(f"启用方法：设置 KB_EMBEDDING_MODEL={args.name or args.source}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the search commands to the ``policykb`` parser."""
    p = sub.add_parser("ask", help="回答一个问题，并注明出处条款")
    p.add_argument("question", help="要问的问题")
    p.add_argument("--k", type=int, default=5, help="列出的段落数（默认 5）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出回答")
    p.set_defaults(handler=cmd_ask)

    p = sub.add_parser("eval", help="在临时知识库中测量检索效果（不动正式知识库）")
    p.add_argument("--corpus", required=True, action="append", metavar="FILE",
                   help="语料 JSONL 文件，每行 `{id, title, text}`；写 demo 用自带的演示知识库；"
                        "多组时与 --queries 成对重复")
    p.add_argument("--queries", required=True, action="append", metavar="FILE",
                   help="查询 JSONL 文件，每行 `{id, query, relevant_ids}`")
    p.add_argument("--k", type=int, default=10, help="每个查询取前几条结果（默认 10）")
    p.add_argument("--mode", choices=["lexical", "dense", "hybrid", "auto"], default="lexical",
                   help="检索方式：关键词、向量、混合；auto 用 --tune 为当前模型存下的设置"
                        "（没有时按关键词）")
    p.add_argument("--tune", action="store_true",
                   help="测量关键词、向量、混合各种设置，把最好的存为当前向量模型的设置"
                        "（KB_HOME/tuning.json）")
    p.add_argument("--answerability", action="store_true",
                   help="从语料中拿掉一半查询的相关文件（按查询 id 固定），使这些查询无从回答，"
                        "测量系统如何答复")
    p.add_argument("--per-query", metavar="FILE",
                   help="把每个查询的结果写成一行 JSON（排名、answer_type、answer_doc、confidence）")
    p.add_argument("--no-correction", action="store_true",
                   help="按原样检索问题：语料中没有的词不做拼音、简称匹配（用来测量这种匹配的作用）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出各项指标")
    p.set_defaults(handler=cmd_eval)

    p = sub.add_parser("reindex", help="按数据库重建检索索引")
    p.set_defaults(handler=cmd_reindex)

    model = sub.add_parser("model", help="管理向量检索所用的模型")
    msub = model.add_subparsers(dest="model_command", metavar="ACTION", help="操作")
    msub.required = True
    p = msub.add_parser("install", help="从本机文件夹安装模型（联网时也可写模型库中的名称）")
    p.add_argument("source", metavar="NAME|PATH", help="模型文件夹的路径，或模型库中的名称")
    p.add_argument("--name", help="安装后的名称（默认按来源取名）")
    p.set_defaults(handler=cmd_model_install)
