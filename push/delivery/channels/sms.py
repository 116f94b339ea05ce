"""SMS through an HTTP gateway (``settings.sms_gateway_url`` with a bearer token)."""

import socket

import httpx

from kb.config import Settings
from push.delivery.channels.base import Channel, DeliveryResult, Outgoing
from push.settings import push_settings


class SmsChannel(Channel):
    """POSTs ``{"phone", "text", "key"}``; the gateway drops keys it already accepted."""

    name = "sms"

    def __init__(self, *, settings: Settings, timeout: float = 10.0) -> None:
        self.settings = push_settings(settings)
        nodelay = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
        self.client = httpx.Client(timeout=timeout,
                                   transport=httpx.HTTPTransport(socket_options=nodelay))

    def send(self, push: Outgoing) -> DeliveryResult:
        """2xx delivers; 408, 429 and 5xx retry; other 4xx are permanent."""
        url = self.settings.sms_gateway_url
        if not url:
            return DeliveryResult(ok=False, detail="未配置短信网关（KB_SMS_GATEWAY_URL）")
        if not push.phone:
            return DeliveryResult(ok=False, permanent=True, detail="企业未填写联系电话")
        headers = {"X-PolicyKB-Delivery": push.key}
        if self.settings.sms_gateway_token:
            headers["Authorization"] = f"Bearer {self.settings.sms_gateway_token}"
        try:
            res = self.client.post(url, json={"phone": push.phone, "text": push.sms_text,
                                              "key": push.key}, headers=headers)
        except httpx.HTTPError as exc:
            return DeliveryResult(ok=False, detail=f"短信网关请求失败：{exc}")
        if res.is_success:
            return DeliveryResult(ok=True, detail=f"HTTP {res.status_code}")
        permanent = 400 <= res.status_code < 500 and res.status_code not in (408, 429)
        return DeliveryResult(ok=False, permanent=permanent,
                              detail=f"HTTP {res.status_code} {res.text[:200]}")

    def close(self) -> None:
        """Close the HTTP client."""
        self.client.close()
