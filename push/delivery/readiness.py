"""Where each delivery channel stands, in words an administrator acts on."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from kb import clock
from kb.config import Settings
from push.delivery.models import Push, PushStatus
from push.settings import push_settings

STALLED_AFTER = timedelta(minutes=5)  # due this long and still unsent: nobody is delivering


@dataclass
class ChannelLine:
    """One line of the channel panel."""

    name: str
    ready: bool
    text: str


def channel_lines(settings: Settings, *, worker_here: bool) -> list[ChannelLine]:
    """The delivery process and each channel: configured or not, and what that means."""
    lines = [ChannelLine(
        "投递进程", True, "随本服务运行，每2秒检查到期推送") if worker_here else ChannelLine(
        "投递进程", False, "本服务未运行投递（KB_PUSH_WORKER=0）：须另行运行 policykb push worker")]
    lines.append(ChannelLine("站内信", True, "企业专属页面的站内信，无需配置"))
    push = push_settings(settings)
    if push.smtp_host:
        lines.append(ChannelLine("邮件", True, f"SMTP {push.smtp_host}:{push.smtp_port}"
                                 f"（{push.smtp_tls}），发件人 {push.smtp_from}"))
    else:
        lines.append(ChannelLine("邮件", False, "未配置 SMTP（KB_SMTP_HOST）：邮件推送将重试后进入死信"))
    if push.sms_gateway_url:
        lines.append(ChannelLine("短信", True, f"短信网关 {push.sms_gateway_url}"))
    else:
        lines.append(ChannelLine("短信", False, "未配置短信网关（KB_SMS_GATEWAY_URL）：短信推送将重试后进入死信"))
    lines.append(ChannelLine("Webhook", True, "按企业登记的地址投递（HTTPS，签名）"))
    return lines


def stalled(*, session: Session, now: datetime | None = None) -> tuple[int, datetime | None]:
    """Pushes due for more than ``STALLED_AFTER`` and never tried, and the oldest due time:
    a sign that no delivery process runs."""
    before = (now or clock.now()) - STALLED_AFTER
    count, oldest = session.exec(select(func.count(), func.min(Push.due_at)).where(
        Push.status == PushStatus.PENDING, Push.attempts == 0, col(Push.claimed_by).is_(None),
        Push.due_at < before)).one()
    return int(count), clock.aware(oldest) if oldest else None
