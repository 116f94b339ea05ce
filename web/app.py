"""The FastAPI application: state is built in the lifespan, never at import time."""

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from kb.config import Settings, get_settings
from push.settings import push_settings
from web import errors
from web.settings import WebSettings, web_settings

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
    """An app over the knowledge base and firm registry that ``settings`` point to."""
    from kb import plugins

    plugins.require()  # refuse to serve an installation whose publications would push nobody
    # /docs and /redoc come from web.routes.docs, with packaged assets instead of a CDN.
    app = FastAPI(title="政策通 PolicyKB", lifespan=_lifespan(settings), docs_url=None,
                  redoc_url=None)
    site = web_settings(settings or get_settings())
    app.state.site = site  # web's own settings (web/settings.py); kb's come with the lifespan
    app.state.templates = Jinja2Templates(directory=str(TEMPLATES))
    app.state.templates.env.globals.update(site_name=site.site_name,
                                           site_footer=site.site_footer_lines)
    _install(app, site)
    _include_routes(app)
    return app


def _lifespan(settings: Settings | None) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """What a worker builds when it starts (state on ``app.state``) and stops when it ends."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from kb.database.db import create_schema, make_engine
        from kb.search.service import Searcher

        s = settings or get_settings()
        s.ensure_dirs()
        engine = make_engine(s.db_url)
        create_schema(engine)
        from kb.database.db import session_scope
        from kb.library.versions import backfill

        with session_scope(engine) as session:  # so every policy can be rolled back to where it is
            backfill(session=session)
        app.state.settings = s
        app.state.engine = engine
        # New passages are embedded off the request path; lexically searchable meanwhile.
        app.state.searcher = Searcher(engine, s, background=True)
        from kb.search.answers import warm_up

        warm_up(app.state.searcher)  # before the worker takes its first question
        from kb.operations.health import Readiness

        app.state.readiness = Readiness(engine, app.state.searcher, max_lag_s=s.ready_max_lag_s,
                                        max_dense_lag_s=s.ready_max_dense_lag_s)
        from web.ratelimit import limiters

        limiters(app)  # in the database: one limit for every worker
        app.state.client_salt = s.signing_key()  # so logged client hashes cannot be reversed
        from kb.feedback.questions import LedgerFiler

        # Filing compares a question with every open topic: off the request path, and
        # everything still queued is filed at a clean shutdown.
        app.state.ledger_filer = LedgerFiler(engine, due_days=s.ledger_due_days)
        from kb.feedback.writer import QuestionWriter

        # The widget's and API's questions are written in batches (numbered at once), and the
        # unanswered ones are filed once written.
        app.state.questions = QuestionWriter(engine, salt=app.state.client_salt,
                                             on_written=app.state.ledger_filer.submit_unanswered)
        from web import scheduler

        scheduler.start(app)  # validity expiry: now, then daily
        app.state.push_worker = None
        # Pushes go out without a separate process (KB_PUSH_WORKER=0: they don't).
        if push_settings(s).push_worker:
            from push.delivery.worker import start_background

            app.state.push_worker = start_background(
                engine=engine, settings=s, worker_id=f"web-{socket.gethostname()}-{os.getpid()}")
        yield
        if app.state.push_worker is not None:
            await asyncio.to_thread(app.state.push_worker.stop)
        await scheduler.stop(app)
        await asyncio.to_thread(app.state.questions.close)  # before the filer: it files the last
        app.state.ledger_filer.close()
        engine.dispose()

    return lifespan


def _install(app: FastAPI, site: WebSettings) -> None:
    """Error pages, the API contract, security headers, sign-in, CORS, request logs, assets."""
    errors.install(app)
    from web import openapi

    openapi.install(app)  # the /api/ contract, with the error bodies really sent
    from web import security

    security.install(app)  # nosniff, frame and referrer policy everywhere, a CSP on pages
    from web.auth import install as install_auth

    install_auth(app)  # sign-in redirect, staff navigation in templates
    # Only the portals listed in KB_WIDGET_ORIGINS may call the API from a browser.
    app.add_middleware(CORSMiddleware, allow_origins=site.widget_origin_list,
                       allow_methods=["GET", "POST"], allow_headers=["Content-Type"])
    from web.requests import RequestContext

    # Outermost: every request, errors included, gets its id and its log line.
    app.add_middleware(RequestContext, log_client=site.log_client_address)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")


def _include_routes(app: FastAPI) -> None:
    """Every page and API route, public first, then the firms', then the staff's."""
    from web.routes import ask, checkup, docs, health, metrics, public, widget

    docs.install(app)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(public.router)
    app.include_router(ask.router)
    app.include_router(checkup.router)
    app.include_router(widget.router)
    from web.routes import agent, policies

    app.include_router(policies.router)
    app.include_router(agent.router)
    from web.routes import push_admin, push_pages

    app.include_router(push_pages.router)
    app.include_router(push_admin.router)
    from web.routes import applications, applications_admin

    app.include_router(applications.router)  # /track and the firm's timeline
    app.include_router(applications_admin.router)  # staff queues, moves, import, statistics
    from web.routes import admin_direct, direct

    app.include_router(direct.router)  # 直达快享: firm facts and amounts, calculator, 免申即享
    app.include_router(admin_direct.router)  # its staff pages: lists, disputes, statistics
    from web.routes import (
        admin_audit,
        admin_content,
        admin_ledger,
        admin_review,
        admin_stats,
        admin_users,
        auth,
    )

    for module in (auth, admin_content, admin_review, admin_ledger, admin_stats, admin_users,
                   admin_audit):
        app.include_router(module.router)
