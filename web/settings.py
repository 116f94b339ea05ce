"""web's settings: the site's name, who may embed the widget, rate limits, proxies, /metrics."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from kb.config import Settings


class WebSettings(BaseSettings):
    """What web reads from the ``KB_`` environment; see docs/operators.md, "Configuration"."""

    model_config = SettingsConfigDict(env_prefix="KB_", extra="ignore")

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
    # A request's log line names the client's address only when this is set.
    log_client_address: bool = False
    # /metrics answers a scraper sending this as its bearer token, or one on the staff networks
    # (loopback when KB_STAFF_NETWORKS is empty).
    metrics_token: str | None = None

    @property
    def site_footer_lines(self) -> list[str]:
        """The footer's parts, in order."""
        return [part.strip() for part in self.site_footer.split("|") if part.strip()]

    @property
    def widget_origin_list(self) -> list[str]:
        """Origins allowed to call the API from a browser."""
        return [v.strip() for v in self.widget_origins.split(",") if v.strip()]


def web_settings(settings: Settings) -> WebSettings:
    """web's settings for this installation (the environment, and what ``settings`` was given)."""
    return settings.section(WebSettings)
