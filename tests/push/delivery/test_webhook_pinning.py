"""DNS rebinding: a webhook goes to the address checked at send time, never to a new resolution."""

import ipaddress
import shutil
import ssl
import subprocess
import threading
from http.server import ThreadingHTTPServer

import pytest

from bench.receivers import WebhookReceiver, _QuietHandler, free_port
from push.delivery.channels.base import Outgoing
from push.delivery.channels.webhook import WebhookChannel

NAME = "hooks.rebind.test"  # .test never resolves: only the channel's checked answer leads anywhere


def outgoing(url: str) -> Outgoing:
    return Outgoing(key="k1", channel="webhook", firm_id=1, firm_name="甲", subject="s", text="t",
                    html="h", sms_text="s", payload={"firm": {"id": 1}}, unsubscribe_url="u",
                    webhook_url=url, webhook_secret="secret")


class Rebinding:
    """A resolver whose answers change: the checked one first, then somewhere else."""

    def __init__(self, *answers: str) -> None:
        self.answers = [ipaddress.ip_address(a) for a in answers]
        self.calls: list[str] = []

    def __call__(self, host: str, port: int | None) -> list:
        self.calls.append(host)
        return [self.answers[min(len(self.calls), len(self.answers)) - 1]]


class Recorder(_QuietHandler):
    """Answers 200 and records the request's Host header (and, over TLS, the server name)."""

    seen: list[str] = []

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.seen.append(self.headers["Host"])
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def serve(server: ThreadingHTTPServer) -> ThreadingHTTPServer:
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_the_request_goes_to_the_checked_address_with_the_name_as_host():
    resolver = Rebinding("127.0.0.1", "127.0.0.2")
    with WebhookReceiver("secret") as checked:
        port = checked.server.server_port
        elsewhere = serve(ThreadingHTTPServer(("127.0.0.2", port), type("R", (Recorder,), {"seen": []})))
        try:
            channel = WebhookChannel(allow_loopback=True, resolver=resolver)
            result = channel.send(outgoing(f"http://{NAME}:{port}/hook"))
            channel.close()
        finally:
            elsewhere.shutdown()
            elsewhere.server_close()
    assert result.ok, result.detail
    assert resolver.calls == [NAME]  # resolved once, by the check; the connection did not ask again
    assert len(checked.accepted) == 1 and checked.requests == [("/hook", 200)]
    assert elsewhere.RequestHandlerClass.seen == []


def test_a_name_that_now_resolves_to_loopback_is_refused_before_connecting():
    resolver = Rebinding("127.0.0.1")
    with WebhookReceiver("secret") as receiver:
        channel = WebhookChannel(allow_loopback=False, resolver=resolver)
        result = channel.send(outgoing(f"http://{NAME}:{receiver.server.server_port}/hook"))
        channel.close()
    assert not result.ok and result.permanent and "回环" in result.detail
    assert receiver.requests == []


@pytest.fixture
def certificate(tmp_path):
    if shutil.which("openssl") is None:
        pytest.fail("openssl is needed to make the test certificate: apt-get install openssl")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", f"/CN={NAME}", "-addext", f"subjectAltName=DNS:{NAME}",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def test_https_connects_to_the_address_and_verifies_the_name(certificate):
    cert, key = certificate
    names: list[str | None] = []
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_side.load_cert_chain(cert, key)
    server_side.sni_callback = lambda sock, name, ctx: names.append(name)
    handler = type("R", (Recorder,), {"seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    server.socket = server_side.wrap_socket(server.socket, server_side=True)
    serve(server)
    trust = ssl.create_default_context(cafile=str(cert))  # the certificate names NAME only
    try:
        channel = WebhookChannel(allow_loopback=True, resolver=Rebinding("127.0.0.1"), verify=trust)
        port = server.server_port
        result = channel.send(outgoing(f"https://{NAME}:{port}/hook"))
        channel.close()
    finally:
        server.shutdown()
        server.server_close()
    assert result.ok, result.detail
    assert names == [NAME] and handler.seen == [f"{NAME}:{port}"]
