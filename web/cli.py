"""``policykb serve``: run the web application."""

import argparse
import os
import shutil
from pathlib import Path

from kb.cli.context import Context
from kb.config import Settings
from web.settings import web_settings

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


def proxy_options(settings: Settings) -> dict:
    """uvicorn's forwarding-header options from ``KB_TRUSTED_PROXIES``: believed only from those
    proxies (uvicorn's own default would believe 127.0.0.1, i.e. anyone on this machine)."""
    trusted = [p.strip() for p in web_settings(settings).trusted_proxies.split(",") if p.strip()]
    if not trusted:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": trusted}


def log_config(settings: Settings) -> dict:
    """The product's logging for uvicorn too (kb/operations/logs.py); each request's own line replaces
    uvicorn's access log (web/requests.py)."""
    from kb.operations.logs import config

    return config(settings.log_format)


def serve_app(ctx: Context, *, host: str, port: int, workers: int = 1) -> int:
    """Serve the app for ``ctx.settings`` until interrupted (``workers`` processes share the port)."""
    import uvicorn

    from web.app import create_app

    ctx.engine  # noqa: B018  (migrates an empty database once, here, before any worker starts)
    print(f"政策通已启动：http://{host}:{port}" + (f"（{workers} 个工作进程）" if workers > 1 else ""))
    print("\n".join(page_urls(host=host, port=port)))
    options = {"host": host, "port": port, "log_level": "info",
               "log_config": log_config(ctx.settings), "access_log": False,
               **proxy_options(ctx.settings)}
    if workers > 1:  # each worker process builds its app from the environment's settings
        uvicorn.run("web.asgi:create", factory=True, workers=workers, **options)
    else:
        uvicorn.run(create_app(ctx.settings), **options)
    return 0


def metrics_dir(home: Path) -> Path:
    """Give worker processes one folder for their counters, so any worker's /metrics adds up
    all of them: emptied first (counts of an earlier run must not be added), set in the
    environment before prometheus_client is imported (uvicorn's workers inherit it)."""
    folder = home / "metrics"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    return folder


def _cmd_serve(args: argparse.Namespace, ctx: Context) -> int:
    """Serve the web application."""
    if args.workers < 1:
        from kb.errors import InvalidInput

        raise InvalidInput(f"--workers 至少为 1（收到 {args.workers}）")
    if args.no_push_worker:
        os.environ["KB_PUSH_WORKER"] = "0"  # uvicorn's worker processes read the environment
        ctx.settings = ctx.settings.model_copy(update={"push_worker": False})
    if args.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        metrics_dir(ctx.settings.home)
    return serve_app(ctx, host=args.host, port=args.port, workers=args.workers)


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``serve``."""
    p = sub.add_parser("serve", help="启动网站和接口")
    p.add_argument("--host", default="127.0.0.1", help="监听的地址（默认 127.0.0.1：仅本机）")
    p.add_argument("--port", type=int, default=8000, help="监听的端口（默认 8000）")
    p.add_argument("--workers", type=int, default=1, help="uvicorn 工作进程数（默认 1）")
    p.add_argument("--no-push-worker", action="store_true",
                   help="本进程不投递推送（另有 `policykb push worker` 在运行）；"
                        "同 KB_PUSH_WORKER=0")
    p.add_argument("--upgrade", action="store_true",
                   help="数据库由旧版本建立时，迁移到新版本（不加则拒绝启动）")
    p.set_defaults(handler=_cmd_serve)
