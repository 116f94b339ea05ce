"""Email over SMTP (none / STARTTLS / SSL), plain text and HTML, keyed by ``Message-ID``."""

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from kb.config import Settings
from push.delivery.channels.base import Channel, DeliveryResult, Outgoing
from push.settings import push_settings


def build_email(*, push: Outgoing, sender: str) -> EmailMessage:
    """The MIME message: idempotency key as Message-ID, one-click unsubscribe headers."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = push.email or ""
    msg["Subject"] = push.subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = f"<{push.key}@policykb>"
    msg["X-PolicyKB-Idempotency-Key"] = push.key
    msg["List-Unsubscribe"] = f"<{push.unsubscribe_url}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(push.text)
    msg.add_alternative(push.html, subtype="html")
    return msg


def _classify(code: int, text: str, *, rcpt: bool) -> DeliveryResult:
    detail = f"SMTP {code} {text}".strip()
    if 500 <= code < 600:
        return DeliveryResult(ok=False, permanent=True, detail=detail, suspend=rcpt)
    return DeliveryResult(ok=False, detail=detail)


class EmailChannel(Channel):
    """Sends through ``settings.smtp_*``; keeps one connection open between messages."""

    name = "email"

    def __init__(self, *, settings: Settings, timeout: float = 15.0) -> None:
        self.settings = push_settings(settings)
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if not s.smtp_host:
            raise smtplib.SMTPException("未配置SMTP服务器（KB_SMTP_HOST）")
        if s.smtp_tls == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=self.timeout,
                                                  context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=self.timeout)
            if s.smtp_tls == "starttls":
                smtp.starttls(context=ssl.create_default_context())
        if s.smtp_user:
            smtp.login(s.smtp_user, s.smtp_password or "")
        return smtp

    def send(self, push: Outgoing) -> DeliveryResult:
        """Send; 5xx on RCPT is a hard bounce (permanent, suspends), 4xx and network errors retry."""
        if not push.email:
            return DeliveryResult(ok=False, permanent=True, detail="企业未填写联系邮箱")
        msg = build_email(push=push, sender=self.settings.smtp_from)
        for attempt in (1, 2):  # a kept-open connection may have been closed by the server
            try:
                if self._smtp is None:
                    self._smtp = self._connect()
                self._smtp.send_message(msg)
                return DeliveryResult(ok=True, detail="SMTP 250 accepted")
            except smtplib.SMTPServerDisconnected as exc:
                self.close()
                if attempt == 2:
                    return DeliveryResult(ok=False, detail=f"SMTP连接断开：{exc}")
            except smtplib.SMTPRecipientsRefused as exc:
                code, text = next(iter(exc.recipients.values()))
                self._reset()
                return _classify(code, _text(text), rcpt=True)
            except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
                self._reset()
                return _classify(exc.smtp_code, _text(exc.smtp_error), rcpt=False)
            except (smtplib.SMTPException, OSError) as exc:
                self.close()
                return DeliveryResult(ok=False, detail=f"SMTP错误：{exc}")
        return DeliveryResult(ok=False, detail="SMTP发送失败")

    def _reset(self) -> None:
        try:
            if self._smtp is not None:
                self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self.close()

    def close(self) -> None:
        """Quit the kept-open connection."""
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._smtp = None


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
