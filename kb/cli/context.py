"""What every command gets: the settings, and the database and searcher made on first use."""

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from kb.config import Settings, get_settings

if TYPE_CHECKING:
    from kb.search.service import Searcher


@dataclass
class Context:
    """What a command needs: settings, and the database created on first use."""

    settings: Settings = field(default_factory=get_settings)
    upgrade: bool = False  # migrate a database that is behind instead of refusing it

    @cached_property
    def engine(self) -> Engine:
        """The database engine; creates the data folders and schema on first use."""
        from kb.database.db import create_schema, make_engine
        from kb.library.index_state import database_identity

        self.settings.ensure_dirs()
        engine = make_engine(self.settings.db_url)
        create_schema(engine, upgrade=self.upgrade)
        database_identity(engine)  # made with the database; every index folder records it
        return engine

    def searcher(self) -> "Searcher":
        """A searcher over this context's database."""
        from kb.cli.progress import ProgressLine
        from kb.search.service import Searcher

        return Searcher(self.engine, self.settings, progress=ProgressLine())
