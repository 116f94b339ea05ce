"""Email over STARTTLS with login, against a real aiosmtpd server using a self-signed certificate."""

import shutil
import ssl
import subprocess

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword
from aiosmtpd.smtp import Session as SMTPSession

from bench.receivers import SmtpReceiver, free_port
from tests.push.push_utils import NOW, add_firms, make_settings, make_worker, publish, pushes


@pytest.fixture
def certificate(tmp_path):
    if shutil.which("openssl") is None:
        pytest.fail("openssl is needed to make the test certificate: apt-get install openssl")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def test_starttls_with_login(engine, tmp_path, certificate, monkeypatch):
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    receiver = SmtpReceiver()
    logins = []

    def authenticator(server: SMTP, session: SMTPSession, envelope: Envelope, mechanism: str,
                      auth_data: LoginPassword) -> AuthResult:
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"pw")

    controller = Controller(receiver, hostname="127.0.0.1", port=free_port(), tls_context=context,
                            require_starttls=True, authenticator=authenticator,
                            auth_required=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test certificate
    controller.start()
    try:
        add_firms(engine, 1, channels=["email"], contact_email="tls@firm.test")
        publish(engine)
        settings = make_settings(tmp_path, smtp_host="127.0.0.1", smtp_port=controller.port,
                                 smtp_tls="starttls", smtp_user="policykb", smtp_password="pw")
        assert make_worker(engine, settings).run_once(now=NOW).delivered == 1
    finally:
        controller.stop()
    assert logins == [(b"policykb", b"pw")] and len(receiver.messages) == 1
    assert pushes(engine)[0].status == "delivered"
