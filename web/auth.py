"""Who may open staff pages. Until staff accounts exist, that is clients on the staff networks."""

import ipaddress

from fastapi import Request

from kb.errors import PermissionDenied


def is_staff_client(request: Request) -> bool:
    """Whether the client's address lies in one of the configured staff networks."""
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    networks = request.app.state.settings.staff_network_list
    return any(address in ipaddress.ip_network(n, strict=False) for n in networks)


def require_staff(request: Request) -> None:
    """Dependency for staff pages (agent console, push administration): 403 for other clients."""
    if not is_staff_client(request):
        raise PermissionDenied("此页面仅供县政务服务工作人员在政务内网使用")
