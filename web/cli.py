"""``policykb serve``: run the web application."""

import argparse

PAGES = [("首页", "/"), ("政策文件", "/policies"), ("智能问答", "/ask"), ("政策体检", "/checkup"),
         ("问答挂件嵌入演示", "/demo"), ("12345 坐席工作台（坐席登录）", "/agent"),
         ("部门工作人员（起草、审核、发布、台账、统计）", "/admin/login"),
         ("接口文档", "/docs")]


def page_urls(*, host: str, port: int) -> list[str]:
    """One line per page: its name and its address."""
    shown = f"[{host}]" if ":" in host else host  # IPv6 literals need brackets in a URL
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else shown
    urls = [f"http://{shown}:{port}{path}" for _, path in PAGES]
    width = max(map(len, urls))
    return [f"  {url:<{width}}  {name}" for url, (name, _) in zip(urls, PAGES, strict=True)]


def proxy_options(settings) -> dict:  # noqa: ANN001
    """uvicorn's forwarding-header options from ``KB_TRUSTED_PROXIES``: believed only from those
    proxies (uvicorn's own default would believe 127.0.0.1, i.e. anyone on this machine)."""
    trusted = [p.strip() for p in settings.trusted_proxies.split(",") if p.strip()]
    if not trusted:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": trusted}


def serve_app(ctx, *, host: str, port: int) -> int:  # noqa: ANN001
    """Serve the app for ``ctx.settings`` until interrupted."""
    import uvicorn

    from web.app import create_app

    print(f"政策通 serving on http://{host}:{port}")
    print("\n".join(page_urls(host=host, port=port)))
    uvicorn.run(create_app(ctx.settings), host=host, port=port, log_level="info",
                **proxy_options(ctx.settings))
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
