"""The app factory uvicorn's worker processes import (``policykb serve --workers N``)."""

from fastapi import FastAPI


def create() -> FastAPI:
    """The app over the settings in the environment (``KB_*``), as every worker reads them."""
    from web.app import create_app

    return create_app()
