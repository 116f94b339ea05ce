"""Settings for PolicyKB, read once from the environment (prefix ``KB_``)."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every tunable of the product; see README "Configuration"."""

    model_config = SettingsConfigDict(env_prefix="KB_", extra="ignore")

    home: Path = Path("var")
    database_url: str | None = None
    index_dir: Path = Path("indexes")

    # Answers: below this confidence the product hands off to the hotline.
    answer_threshold: float = Field(default=0.3, ge=0.0, le=1.0)
    hotline: str = "12345"

    # Dense retrieval ("none" turns it off).
    embedding_model: str = "BAAI/bge-small-zh-v1.5"

    @property
    def db_url(self) -> str:
        """The database URL, defaulting to a SQLite file inside ``home``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'policykb.db').resolve()}"

    def ensure_dirs(self) -> None:
        """Create the data and index folders if they do not exist yet."""
        self.home.mkdir(parents=True, exist_ok=True)
        self.index_dir.mkdir(parents=True, exist_ok=True)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests build their own ``Settings`` instead)."""
    return Settings()
