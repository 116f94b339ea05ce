"""Real receiving servers on loopback: an SMTP server (aiosmtpd) and a webhook HTTP server.

Both follow the receiver contract in docs/integrators.md: they drop a message whose idempotency key
they already accepted, and count such raw re-sends.
"""

import email
import json
import socket
import threading
from collections import Counter
from collections.abc import Callable
from email import policy as email_policy
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from push.delivery.channels.webhook import InvalidSignature, verify_signature


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]



class _QuietHandler(BaseHTTPRequestHandler):
    """A keep-alive handler that answers at once and logs nothing."""

    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()  # answer without waiting on Nagle + delayed ACK
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args: object) -> None:
        pass

class SmtpReceiver:
    """Accepts mail; rejects RCPT to addresses starting with ``bounce`` with 550 (hard bounce)."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.keys: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,  # noqa: N802
                          address: str, rcpt_options: list[str]) -> str:
        if address.startswith("bounce"):
            return "550 5.1.1 用户不存在 (no such user)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session,  # noqa: N802
                          envelope: Envelope) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email_policy.default)
        key = msg["X-PolicyKB-Idempotency-Key"]
        with self.lock:
            self.keys[key] += 1
            if self.keys[key] == 1:  # a key seen before is dropped (but acknowledged)
                self.messages.append(msg)
        return "250 Message accepted"

    @property
    def duplicates(self) -> int:
        """Raw re-sends of keys already accepted."""
        return sum(n - 1 for n in self.keys.values())

    def __enter__(self) -> "SmtpReceiver":
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


class WebhookReceiver:
    """A threaded HTTP server that verifies signatures and answers scripted status codes.

    ``script[path]`` is a list of status codes answered in turn before the default 200.
    """

    def __init__(self, secret: str | Callable[[int], str]) -> None:
        self.secret = secret
        self.script: dict[str, list[int]] = {}
        self.keys: Counter[str] = Counter()
        self.accepted: list[dict] = []
        self.requests: list[tuple[str, int]] = []  # (path, status answered)
        self.rejected: list[str] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(_QuietHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = receiver.handle(self.path, self.headers, body)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def handle(self, path: str, headers: Message, body: bytes) -> int:
        """Verify, apply the script, de-duplicate on the delivery key."""
        data = json.loads(body)
        secret = self.secret if isinstance(self.secret, str) else self.secret(data["firm"]["id"])
        try:
            verify_signature(secret=secret, body=body, header=headers["X-PolicyKB-Signature"])
        except InvalidSignature as exc:
            with self.lock:
                self.rejected.append(exc.message)
            return 401
        with self.lock:
            queue = self.script.get(path, [])
            status = queue.pop(0) if queue else 200
            self.requests.append((path, status))
            if status == 200:
                key = headers["X-PolicyKB-Delivery"]
                self.keys[key] += 1
                if self.keys[key] == 1:
                    self.accepted.append(data)
        return status

    @property
    def duplicates(self) -> int:
        """Raw re-sends of keys already accepted."""
        return sum(n - 1 for n in self.keys.values())

    def __enter__(self) -> "WebhookReceiver":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class SmsGateway:
    """A stand-in SMS gateway: records ``{"phone", "text", "key"}`` and the bearer token."""

    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.tokens: list[str | None] = []
        gateway = self

        class Handler(_QuietHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                gateway.messages.append(json.loads(body))
                gateway.tokens.append(self.headers.get("Authorization"))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/send"

    def __enter__(self) -> "SmsGateway":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
