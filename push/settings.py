"""push's settings: delivery channels, the delivery worker, guides and firm links (``KB_`` variables)."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from kb.config import Settings


class PushSettings(BaseSettings):
    """What push reads from the environment; see docs/operators.md, "Configuration"."""

    model_config = SettingsConfigDict(env_prefix="KB_", extra="ignore")

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
    # 申兑指南: working days after an enterprise policy's publication by which its guide is due.
    guide_due_days: int = Field(default=7, ge=1)
    # Days a firm's own-page link works (each message carries a fresh one; staff reissue with
    # ``policykb push link``). Unsubscribe links never expire.
    firm_link_days: float = Field(default=90, gt=0)


def push_settings(settings: Settings) -> PushSettings:
    """push's settings for this installation (the environment, and what ``settings`` was given)."""
    return settings.section(PushSettings)
