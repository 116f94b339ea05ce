"""The one URL policy: which links may be stored and shown, and which hosts the product may call.

``web_url`` is for every link a page renders (a policy's 原文链接, from ingestion or a draft):
http or https, a host, no credentials, nothing a browser would read as script. ``webhook_url``
adds what a server-side request needs (firms' webhooks, checked when imported and again before
each send): every address the host resolves to must be a public one; loopback is allowed only
with ``KB_WEBHOOK_ALLOW_LOOPBACK`` (tests, a receiver on the same machine), private, link-local,
multicast, reserved and unspecified addresses never, also when spelt as IPv4-mapped IPv6, as an
integer (``http://2130706433/``) or in hex or octal. ``webhook_target`` is the check made just
before a send: it returns the checked address, and the sender connects to that address (the name
goes in the Host header and TLS SNI), so a second resolution cannot lead elsewhere (DNS rebinding).
"""

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

MAX_URL = 500
SCHEMES = ("http", "https")


class UnsafeURL(ValueError):
    """A URL the policy refuses; the message says why, in Chinese."""


def web_url(value: str, *, what: str = "链接") -> str:
    """``value`` stripped, if it is an http(s) URL with a host and no credentials."""
    url = value.strip()
    if len(url) > MAX_URL:
        raise UnsafeURL(f"{what}过长（最多 {MAX_URL} 字）")
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise UnsafeURL(f"{what}不能含空格或控制字符")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        raise UnsafeURL(f"{what}格式不对：{url[:100]}") from None
    if parts.scheme.lower() not in SCHEMES:
        raise UnsafeURL(f"{what}应以 http:// 或 https:// 开头")
    if not host:
        raise UnsafeURL(f"{what}缺少主机名")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UnsafeURL(f"{what}不能包含用户名或密码")
    return url


def _literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host names literally, in any spelling a resolver accepts (1.2.3.4,
    2130706433, 0x7f.1, 017700000001, [::ffff:a.b.c.d]); None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:  # inet_aton takes the legacy forms: integers, hex, octal, fewer than four parts
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address, *,
            allow_loopback: bool) -> str | None:
    """Why the product must not call ``address``; None when it may."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if inner is not None:
            return refusal(inner, allow_loopback=allow_loopback)
    if address.is_loopback:
        return None if allow_loopback else "本机（回环地址）"
    for test, reason in (("is_link_local", "链路本地地址（如云元数据服务）"),
                         ("is_unspecified", "未指定地址"), ("is_multicast", "组播地址"),
                         ("is_private", "内网地址"), ("is_reserved", "保留地址")):
        if getattr(address, test):
            return reason
    if not address.is_global:
        return "非公网地址"
    return None


def resolve(host: str, port: int | None) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Every address ``host`` resolves to (OSError when it does not resolve)."""
    found = socket.getaddrinfo(host, port or 80, proto=socket.IPPROTO_TCP)
    # An IPv4 or IPv6 socket address starts with the host as a string ("fe80::1%eth0").
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]


Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Target:
    """Where a webhook is sent: the URL as configured and the checked address to connect to."""

    url: str
    host: str  # the name (or literal) in the URL: the Host header and the TLS server name
    address: Address

    @property
    def pinned_url(self) -> str:
        """The URL with its host replaced by the checked address (port, path and query kept)."""
        parts = urlsplit(self.url)
        ip = f"[{self.address}]" if self.address.version == 6 else str(self.address)
        netloc = f"{ip}:{parts.port}" if parts.port else ip
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))

    @property
    def host_header(self) -> str:
        """The Host header the receiver expects: the URL's host and port."""
        return urlsplit(self.url).netloc

    @property
    def is_name(self) -> bool:
        """Whether the URL names a host (TLS then verifies that name, not the address)."""
        return _literal_address(self.host) is None


def _checked(url: str, *, allow_loopback: bool, must_resolve: bool,
             resolver: Callable[[str, int | None], list[Address]]) -> list[Address]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = _literal_address(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            addresses = resolver(host, parts.port)
        except (OSError, UnicodeError):
            if must_resolve:
                raise UnsafeURL(f"webhook地址的主机名无法解析：{host}") from None
            return []
        if not addresses and must_resolve:
            raise UnsafeURL(f"webhook地址的主机名无法解析：{host}")
    for address in addresses:
        reason = refusal(address, allow_loopback=allow_loopback)
        if reason:
            raise UnsafeURL(f"webhook地址不能指向{reason}：{host}")
    return addresses


def webhook_target(value: str, *, allow_loopback: bool = False,
                   resolver: Callable[[str, int | None], list[Address]] = resolve) -> Target:
    """The checked address to send ``value``'s webhook to, resolved now; ``UnsafeURL`` otherwise."""
    url = web_url(value, what="webhook地址")
    addresses = _checked(url, allow_loopback=allow_loopback, must_resolve=True,
                         resolver=resolver)
    return Target(url=url, host=urlsplit(url).hostname or "", address=addresses[0])


def webhook_url(value: str, *, allow_loopback: bool = False,
                must_resolve: bool = False) -> str:
    """``value`` if the product may POST to it; ``UnsafeURL`` otherwise.

    ``allow_loopback``: the caller's setting (push's ``KB_WEBHOOK_ALLOW_LOOPBACK``). A name that does not resolve
    passes unless ``must_resolve`` (at import the network may be elsewhere; before a send it must
    resolve, and to public addresses only).
    """
    url = web_url(value, what="webhook地址")
    _checked(url, allow_loopback=allow_loopback, must_resolve=must_resolve,
             resolver=resolve)
    return url
