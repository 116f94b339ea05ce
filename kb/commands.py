"""Knowledge-base commands: init, ingest, ask, eval, reindex, demo."""

import argparse
import json
from importlib import resources
from pathlib import Path

from kb.answers import AnswerResult, ask
from kb.db import session_scope
from kb.errors import InvalidInput
from kb.ingest import IngestReport, ingest_paths


def _searcher(ctx):  # noqa: ANN001, ANN202
    from kb.search.service import Searcher

    return Searcher(ctx.engine, ctx.settings)


def cmd_init(args: argparse.Namespace, ctx) -> int:  # noqa: ANN001
    """Create the data folder, the database schema and the index folder."""
    ctx.engine  # noqa: B018  (creating it creates the folders and schema)
    print(f"data folder: {ctx.settings.home.resolve()}")
    print(f"database:    {ctx.settings.db_url}")
    print(f"indexes:     {ctx.settings.index_dir.resolve()}")
    return 0


def _print_report(report: IngestReport) -> None:
    for label, titles in (("created", report.created), ("updated", report.updated),
                          ("unchanged", report.unchanged)):
        for title in titles:
            print(f"  {label:9} {title}")
    print(f"{len(report.created)} created, {len(report.updated)} updated, "
          f"{len(report.unchanged)} unchanged; {report.passages} passages in the knowledge base")


def cmd_ingest(args: argparse.Namespace, ctx) -> int:  # noqa: ANN001
    """Ingest documents and JSONL files; nothing is written if any input is bad."""
    with session_scope(ctx.engine) as session:
        report = ingest_paths(session=session, paths=[Path(p) for p in args.paths])
    if report.changed:
        _searcher(ctx).ensure_fresh()  # build the index now, not on the first question
    _print_report(report)
    return 0


def _print_answer(result: AnswerResult) -> None:
    if result.answer is None:
        print(f"[置信度 {result.confidence:.2f}] {result.message}")
        if result.hits:
            print("\n可能相关（仅供参考）：")
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


def cmd_ask(args: argparse.Namespace, ctx) -> int:  # noqa: ANN001
    """Answer a question from the knowledge base."""
    result = ask(searcher=_searcher(ctx), question=args.question, k=args.k,
                 threshold=ctx.settings.answer_threshold, hotline=ctx.settings.hotline)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_answer(result)
    return 0


def cmd_eval(args: argparse.Namespace, ctx) -> int:  # noqa: ANN001
    """Measure retrieval on a corpus + queries in a throw-away knowledge base."""
    from kb.evaluate import evaluate, tune

    if len(args.corpus) != len(args.queries):
        raise InvalidInput("give one --queries file for each --corpus file")
    sets = [(Path(c), Path(q)) for c, q in zip(args.corpus, args.queries, strict=True)]
    if args.tune:
        if args.mode != "auto":
            raise InvalidInput("--tune measures every mode; use it with --mode auto")
        out = tune(sets=sets, settings=ctx.settings, k=args.k)
    elif len(sets) == 1:
        out = evaluate(corpus=sets[0][0], queries=sets[0][1], settings=ctx.settings, k=args.k,
                       mode=args.mode)
    else:
        out = {str(c): evaluate(corpus=c, queries=q, settings=ctx.settings, k=args.k,
                                mode=args.mode) for c, q in sets}
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        for key, value in out.items():
            print(f"{key:12} {value}")
    return 0


def cmd_reindex(args: argparse.Namespace, ctx) -> int:  # noqa: ANN001
    """Rebuild every derived index from the database."""
    searcher = _searcher(ctx)
    searcher.ensure_fresh(force=True)
    n = searcher.lexical.n_docs if searcher.lexical else 0
    dense = f"; dense index ({searcher.dense.encoder.name}) rebuilt" if searcher.dense else ""
    print(f"lexical index rebuilt: {n} passages{dense}")
    return 0


def demo_files() -> list[Path]:
    """The bundled demo knowledge base files."""
    folder = resources.files("kb.demo")
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith((".jsonl", ".txt")))


# Demo staff of one department, so the sign-off workflow can be tried at once.
DEMO_STAFF = (("kj-drafter", "张明（拟稿）", ["drafter"]), ("kj-reviewer", "李华（审核）", ["reviewer"]),
              ("kj-publisher", "王芳（发布）", ["publisher"]), ("admin", "县政务办管理员", ["admin"]))


def demo_staff(ctx) -> str | None:  # noqa: ANN001
    """Create the demo staff accounts in an installation that has none; returns their password."""
    import secrets

    from sqlmodel import select

    from kb.accounts import create_user
    from kb.audit import Actor
    from kb.staff_models import User

    with session_scope(ctx.engine) as session:
        if session.exec(select(User.id)).first() is not None:
            return None
        password = secrets.token_urlsafe(9)
        actor = Actor(None, "demo", "演示数据", "cli")
        for username, name, roles in DEMO_STAFF:
            create_user(session=session, actor=actor, username=username, name=name,
                        password=password, department=None if roles == ["admin"] else "县科技局",
                        roles=roles)
    return password


def cmd_demo(args: argparse.Namespace, ctx) -> int:  # noqa: ANN001
    """Load the bundled demo data, then serve it (or print how to ask, with --no-serve)."""
    with session_scope(ctx.engine) as session:
        report = ingest_paths(session=session, paths=demo_files())
    _searcher(ctx).ensure_fresh()
    _print_report(report)
    password = demo_staff(ctx)
    if password:
        print("\n演示账号（县科技局；仅供本机演示，正式使用请用 policykb user add 建号）：")
        for username, name, _ in DEMO_STAFF:
            print(f"  {username:13} {name}")
        print(f"  密码（四个账号相同）：{password}    登录：/admin/login")
    serve = not args.no_serve
    if serve:
        try:
            import fastapi  # noqa: F401
            import uvicorn  # noqa: F401

            from web.cli import serve_app
        except ModuleNotFoundError:
            print('\n(the web extras are not installed: pip install -e ".[web]" to serve)')
            serve = False
    if not serve:
        print('\nTry:  policykb ask "高新技术企业认定后有什么奖励？"')
        return 0
    return serve_app(ctx, host=args.host, port=args.port)


def cmd_model_install(args: argparse.Namespace, ctx) -> int:  # noqa: ANN001
    """Copy (or, with network, download) an embedding model into KB_HOME/models."""
    from kb.dense.encoder import install_model

    ctx.settings.ensure_dirs()
    folder = install_model(source=args.source, home=ctx.settings.home, name=args.name)
    print(f"model installed: {folder}")
    print(f"use it with: KB_EMBEDDING_MODEL={args.name or args.source}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the knowledge-base commands to the ``policykb`` parser."""
    p = sub.add_parser("init", help="create the data folder, database and index folder")
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("ingest", help="ingest .txt .md .html .docx .pdf files, folders or JSONL")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.set_defaults(handler=cmd_ingest)

    p = sub.add_parser("ask", help="answer a question with cited clauses")
    p.add_argument("question")
    p.add_argument("--k", type=int, default=5, help="number of passages (default 5)")
    p.add_argument("--json", action="store_true", help="print the answer object as JSON")
    p.set_defaults(handler=cmd_ask)

    p = sub.add_parser("eval", help="measure retrieval on a corpus and queries (throw-away KB)")
    p.add_argument("--corpus", required=True, action="append",
                   help="JSONL: {id, title, text} (repeat with --queries for several sets)")
    p.add_argument("--queries", required=True, action="append",
                   help="JSONL: {id, query, relevant_ids}")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--mode", choices=["lexical", "dense", "hybrid", "auto"], default="lexical",
                   help="auto: the setting --tune stored for the model (lexical without one)")
    p.add_argument("--tune", action="store_true",
                   help="measure lexical, dense and hybrid settings and store the best for the "
                        "configured embedding model (in KB_HOME/tuning.json)")
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

    p = sub.add_parser("demo", help="load the bundled demo knowledge base and serve it")
    p.add_argument("--no-serve", action="store_true", help="only load the demo data")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(handler=cmd_demo)

