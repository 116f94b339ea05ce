"""The FastAPI application: state is built in the lifespan, never at import time."""

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.templating import Jinja2Templates

from kb.config import Settings, get_settings
from web import errors

TEMPLATES = Path(__file__).parent / "templates"


def create_app(settings: Settings | None = None) -> FastAPI:
    """An app over the knowledge base and firm registry that ``settings`` point to."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # noqa: ANN202
        from kb.db import create_schema, make_engine
        from kb.search.service import Searcher

        s = settings or get_settings()
        s.ensure_dirs()
        engine = make_engine(s.db_url)
        create_schema(engine)
        app.state.settings = s
        app.state.engine = engine
        app.state.searcher = Searcher(engine, s)
        app.state.searcher.ensure_fresh()
        yield
        engine.dispose()

    app = FastAPI(title="政策通 PolicyKB", lifespan=lifespan)
    app.state.templates = Jinja2Templates(directory=str(TEMPLATES))
    errors.install(app)
    from web.routes import ask, checkup

    app.include_router(ask.router)
    app.include_router(checkup.router)
    return app
