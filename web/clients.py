"""Who the client is: its address, from forwarding headers only when a trusted proxy sent them."""

import ipaddress
from functools import lru_cache

from fastapi import Request


@lru_cache(maxsize=32)
def _networks(spec: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(n.strip(), strict=False) for n in spec.split(",") if n.strip())


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip().strip('"')
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":")[0]
    try:
        found = ipaddress.ip_address(text)
    except ValueError:
        return None
    return found.ipv4_mapped or found if isinstance(found, ipaddress.IPv6Address) else found


def in_networks(address: str, spec: str) -> bool:
    """Whether ``address`` lies in one of the comma-separated networks of ``spec``."""
    found = _address(address)
    return found is not None and any(found in n for n in _networks(spec))


def client_address(request: Request) -> str:
    """The client's address. The direct peer's, unless the peer is one of ``KB_TRUSTED_PROXIES``
    (default none): then the nearest address in ``X-Forwarded-For`` that is not a trusted proxy,
    or ``X-Real-IP``. A header sent by anyone else is ignored, so it cannot make a visitor staff
    or move them to another rate-limit bucket."""
    peer = request.client.host if request.client else ""
    trusted = request.app.state.site.trusted_proxies
    if not peer or not trusted or not in_networks(peer, trusted):
        return peer or "unknown"
    forwarded = [h for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(forwarded):  # the right end was added by our proxy; earlier ones by anyone
        address = _address(hop)
        if address is None:
            break
        if not in_networks(str(address), trusted):
            return str(address)
    real = _address(request.headers.get("x-real-ip", ""))
    return str(real) if real is not None else peer
