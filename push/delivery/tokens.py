"""Signed links: one-click unsubscribe, the firm page, and compact tracking tokens."""

import base64
import hashlib
import hmac
import json

from kb.errors import KBError
from kb.ids import parse_id


class InvalidToken(KBError):
    """A link token that is forged, tampered with, or meant for something else (HTTP 400)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, purpose: str, body: str) -> str:
    return _b64(hmac.new(key, f"{purpose}:{body}".encode(), hashlib.sha256).digest()[:20])


def sign(*, key: bytes, purpose: str, data: dict) -> str:
    """A URL-safe token carrying ``data``, valid only for ``purpose``."""
    body = _b64(json.dumps(data, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_mac(key, purpose, body)}"


def unsign(*, key: bytes, purpose: str, token: str) -> dict:
    """The data in ``token``; raises ``InvalidToken`` when the signature does not match."""
    body, _, mac = (token or "").strip().partition(".")
    if (not body or not mac or not token.isascii()
            or not hmac.compare_digest(mac.encode(), _mac(key, purpose, body).encode())):
        raise InvalidToken("链接无效或已被篡改，请使用邮件或短信中的原始链接。")
    try:
        data = json.loads(_unb64(body))
    except ValueError:
        raise InvalidToken("链接无效或已被篡改，请使用邮件或短信中的原始链接。") from None
    if not isinstance(data, dict):
        raise InvalidToken("链接无效。")
    return data


def unsubscribe_token(*, key: bytes, firm_id: int, theme: str | None = None) -> str:
    """One-click unsubscribe from one theme, or from everything when ``theme`` is None."""
    return sign(key=key, purpose="unsubscribe", data={"f": firm_id, "t": theme})


def firm_token(*, key: bytes, firm_id: int) -> str:
    """The firm's own page (inbox, settings, marks) without a login."""
    return sign(key=key, purpose="firm", data={"f": firm_id})


def track_token(*, key: bytes, push_id: int) -> str:
    """A short token for a push's tracked link and open pixel (short enough for SMS)."""
    return f"{push_id}-{_mac(key, 'track', str(push_id))[:10]}"


def read_track_token(*, key: bytes, token: str) -> int:
    """The push id in a tracking token; raises ``InvalidToken``."""
    head, _, mac = (token or "").partition("-")
    push_id = parse_id(head)
    if (push_id is None or not mac.isascii()
            or not hmac.compare_digest(mac.encode(), _mac(key, "track", head)[:10].encode())):
        raise InvalidToken("链接无效或已被篡改。")
    return push_id
