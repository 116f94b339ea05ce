"""``policykb serve``: run the web application."""

import argparse


def serve_app(ctx, *, host: str, port: int) -> int:  # noqa: ANN001
    """Serve the app for ``ctx.settings`` until interrupted."""
    import uvicorn

    from web.app import create_app

    print(f"政策通 serving on http://{host}:{port}/checkup  (API docs: http://{host}:{port}/docs)")
    uvicorn.run(create_app(ctx.settings), host=host, port=port, log_level="info")
    return 0


def _cmd_serve(args: argparse.Namespace, ctx) -> int:  # noqa: ANN001
    """Serve the web application."""
    return serve_app(ctx, host=args.host, port=args.port)


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``serve``."""
    p = sub.add_parser("serve", help="serve the web API and pages")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(handler=_cmd_serve)
