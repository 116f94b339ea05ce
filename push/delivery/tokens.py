"""Signed links: one-click unsubscribe, the firm page, and compact tracking tokens."""

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from kb.errors import KBError
from kb.inputs.ids import parse_id


class InvalidToken(KBError):
    """A link token that is forged, tampered with, or meant for something else (HTTP 400)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, purpose: str, body: str) -> str:
    return _b64(hmac.new(key, f"{purpose}:{body}".encode(), hashlib.sha256).digest()[:20])


def sign(*, key: bytes, purpose: str, data: Mapping[str, object]) -> str:
    """A URL-safe token carrying ``data``, valid only for ``purpose``."""
    body = _b64(json.dumps(data, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_mac(key, purpose, body)}"


def unsign(*, key: bytes, purpose: str, token: str) -> dict[str, Any]:
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


FIRM_LINK_DAYS = 90
EXPIRED = "该企业专属链接已过期：请使用最新一条推送消息中的链接，或联系县政务服务中心重新获取。"


def firm_token(*, key: bytes, firm_id: int, days: float = FIRM_LINK_DAYS,
               now: float | None = None) -> str:
    """The firm's own page (inbox, settings, marks) without a login, valid for ``days``
    (staff reissue one with ``policykb push link``; every message carries a fresh one)."""
    expires = int((time.time() if now is None else now) + days * 86400)
    return sign(key=key, purpose="firm", data={"f": firm_id, "x": expires})


def read_firm_token(*, key: bytes, token: str, now: float | None = None) -> int:
    """The firm id of a firm-page token; ``InvalidToken`` when forged or expired (a token
    without an expiry, from before links expired, counts as expired)."""
    data = unsign(key=key, purpose="firm", token=token)
    firm_id, expires = data.get("f"), data.get("x")
    if not isinstance(firm_id, int) or isinstance(firm_id, bool):
        raise InvalidToken("链接无效。")
    if not isinstance(expires, int) or expires < (time.time() if now is None else now):
        raise InvalidToken(EXPIRED)
    return firm_id


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
