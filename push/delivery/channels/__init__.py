"""Delivery channels behind one interface (``base.Channel``)."""

from sqlalchemy.engine import Engine

from kb.config import Settings
from push.delivery.channels.base import Channel, DeliveryResult, Outgoing
from push.settings import push_settings

__all__ = ["Channel", "DeliveryResult", "Outgoing", "build_channels"]


def build_channels(*, settings: Settings, engine: Engine) -> dict[str, Channel]:
    """Every channel, configured from ``settings``."""
    from push.delivery.channels.email import EmailChannel
    from push.delivery.channels.inbox import InboxChannel
    from push.delivery.channels.sms import SmsChannel
    from push.delivery.channels.webhook import WebhookChannel

    return {
        "inbox": InboxChannel(engine=engine),
        "email": EmailChannel(settings=settings),
        "webhook": WebhookChannel(allow_loopback=push_settings(settings).webhook_allow_loopback),
        "sms": SmsChannel(settings=settings),
    }
