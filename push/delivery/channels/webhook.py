"""Webhooks: a signed JSON POST; receivers verify the signature and drop keys already seen.

Signature header ``X-PolicyKB-Signature: t=<unix>,v1=<hex hmac-sha256(secret, "t.body")>``;
idempotency header ``X-PolicyKB-Delivery: <key>``.
"""

import hashlib
import hmac
import json
import socket
import ssl
import time
from collections import OrderedDict
from collections.abc import Callable

import httpx

from kb.errors import KBError
from kb.inputs.urls import Address, Target, UnsafeURL, resolve, webhook_target
from push.delivery.channels.base import Channel, DeliveryResult, Outgoing

TOLERANCE_S = 300  # signatures older than five minutes are replays
MAX_DETAIL = 200  # characters of a receiver's answer kept with the push
MAX_TLS_POOLS = 32  # kept-open clients for https webhooks, one per server name
Resolver = Callable[[str, int | None], list[Address]]  # host, port -> addresses (tests pin one)


def shown(text: str, limit: int = MAX_DETAIL) -> str:
    """A receiver's text as stored and shown: one line, at most ``limit`` characters, without
    control characters or markup (it reaches staff pages and exports)."""
    text = "".join(c if c.isprintable() else " " for c in text[: limit * 4])
    text = " ".join(text.split()).translate(_MARKUP)
    return text if len(text) <= limit else text[: limit - 1] + "…"


_MARKUP = str.maketrans({"<": "‹", ">": "›", "&": "＆", '"': "＂", "'": "＇", "`": "｀"})


class InvalidSignature(KBError):
    """A webhook whose signature does not verify, or is too old."""


def sign_body(*, secret: str, body: bytes, timestamp: int) -> str:
    """The ``X-PolicyKB-Signature`` header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_signature(
    *, secret: str, body: bytes, header: str, now: float | None = None,
    tolerance_s: int = TOLERANCE_S,
) -> int:
    """Check a received webhook; returns its timestamp or raises ``InvalidSignature``."""
    parts = dict(p.split("=", 1) for p in (header or "").split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        raise InvalidSignature("签名头格式错误") from None
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance_s:
        raise InvalidSignature("签名时间超过5分钟，拒绝（防重放）")
    expected = sign_body(secret=secret, body=body, timestamp=timestamp).split("v1=")[1]
    if not hmac.compare_digest(expected, given):
        raise InvalidSignature("签名不匹配")
    return timestamp


class WebhookChannel(Channel):
    """POSTs JSON to the firm's ``webhook_url`` over one kept-open HTTP client."""

    name = "webhook"

    def __init__(self, *, timeout: float = 10.0, clock: Callable[[], float] = time.time,
                 allow_loopback: bool = False, resolver: Resolver = resolve,
                 verify: ssl.SSLContext | bool = True) -> None:
        self.timeout, self.verify = timeout, verify
        self.client = self._new_client()
        self._tls: OrderedDict[str, httpx.Client] = OrderedDict()  # one pool per TLS server name
        self.clock = clock
        self.allow_loopback = allow_loopback
        self.resolver = resolver

    def _new_client(self) -> httpx.Client:
        # TCP_NODELAY: headers and body go out at once instead of waiting on a delayed ACK.
        nodelay = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
        # Redirects are not followed: a receiver could otherwise send the request anywhere.
        return httpx.Client(timeout=self.timeout, follow_redirects=False,
                            transport=httpx.HTTPTransport(socket_options=nodelay,
                                                          verify=self.verify))

    def _client_for(self, target: Target) -> httpx.Client:
        if not (target.is_name and target.url.lower().startswith("https")):
            return self.client
        # Pools are keyed by address: a TLS connection verified for one name must never carry
        # a request for another name served at the same address.
        client = self._tls.pop(target.host, None) or self._new_client()
        self._tls[target.host] = client
        if len(self._tls) > MAX_TLS_POOLS:
            self._tls.popitem(last=False)[1].close()
        return client

    def send(self, push: Outgoing) -> DeliveryResult:
        """2xx delivers; 408, 429 and 5xx retry; other 4xx are permanent."""
        if not push.webhook_url or not push.webhook_secret:
            return DeliveryResult(ok=False, permanent=True, detail="企业未配置webhook地址")
        try:  # again at send time: the name may resolve elsewhere now than at import
            target = webhook_target(push.webhook_url, allow_loopback=self.allow_loopback,
                                    resolver=self.resolver)
        except UnsafeURL as exc:
            return DeliveryResult(ok=False, permanent=True, detail=str(exc))
        body = json.dumps(push.payload, ensure_ascii=False).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-PolicyKB-Delivery": push.key,
            "X-PolicyKB-Signature": sign_body(secret=push.webhook_secret, body=body,
                                              timestamp=int(self.clock())),
            "User-Agent": "PolicyKB-Webhook/1",
            "Host": target.host_header,
        }
        # Connect to the address just checked, never to a second resolution of the name (DNS
        # rebinding); the name still goes in the Host header and as the TLS server name.
        extensions = {"sni_hostname": target.host} if target.is_name else {}
        try:
            res = self._client_for(target).post(target.pinned_url, content=body, headers=headers,
                                                extensions=extensions)
        except httpx.HTTPError as exc:
            return DeliveryResult(ok=False,
                                  detail=f"webhook请求失败：{type(exc).__name__} {shown(str(exc))}")
        detail = f"HTTP {res.status_code} {shown(res.text)}".strip()
        if res.is_success:
            return DeliveryResult(ok=True, detail=f"HTTP {res.status_code}")
        permanent = 400 <= res.status_code < 500 and res.status_code not in (408, 429)
        return DeliveryResult(ok=False, permanent=permanent, detail=detail)

    def close(self) -> None:
        """Close the HTTP clients."""
        self.client.close()
        while self._tls:
            self._tls.popitem()[1].close()
