"""The channel interface: every channel sends one rendered message and says how it went."""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field


@dataclass(frozen=True)
class DeliveryResult:
    """The outcome of one send; ``permanent`` failures are dead-lettered without retry."""

    ok: bool
    permanent: bool = False
    detail: str = ""
    suspend: bool = False  # the address itself is bad (hard bounce): suspend the channel


@dataclass
class Outgoing:
    """One message as rendered for a firm: a single push or a digest of several."""

    key: str  # idempotency key: receivers drop a key they already accepted
    channel: str
    firm_id: int
    firm_name: str
    subject: str
    text: str
    html: str
    sms_text: str
    payload: dict[str, object]  # the webhook body (JSON)
    unsubscribe_url: str
    push_ids: list[int] = field(default_factory=list)
    email: str | None = None
    phone: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None


class Channel(ABC):
    """A way to reach a firm (站内信, email, webhook, SMS)."""

    name: str

    @abstractmethod
    def send(self, push: Outgoing) -> DeliveryResult:
        """Deliver ``push`` once; never raises for delivery problems, returns them instead."""

    def close(self) -> None:
        """Release connections (the worker calls this on exit); nothing to release by default."""
        return None
