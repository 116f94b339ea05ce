"""The soak test's account of what the product acknowledged, and the lost-write check at the end."""

import sqlite3
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

# --- What the product said it stored ------------------------------------------------------------


@dataclass
class Written:
    """Everything the product acknowledged, to be found in the database at the end."""

    questions: set[int] = field(default_factory=set)
    feedback: dict[int, int] = field(default_factory=dict)  # feedback_id: question_id
    faq: dict[int, str] = field(default_factory=dict)  # revision id: the FAQ's question
    notices: set[str] = field(default_factory=set)  # 文号
    expiring: set[str] = field(default_factory=set)  # 文号
    firms: set[str] = field(default_factory=set)  # 统一社会信用代码
    searchable: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    expired_by_cli: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


# --- The webhook receiver -----------------------------------------------------------------------


class Receiver:
    """A firm's webhook endpoint on loopback: 200 under /hooks/ok/, 500 under /hooks/fail/."""

    def __init__(self) -> None:
        self.ok: Counter[str] = Counter()  # idempotency key: times acknowledged
        self.failed = 0
        self.strange: list[str] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                key = self.headers.get("X-PolicyKB-Delivery") or ""
                failing = self.path.startswith("/hooks/fail/")
                with receiver.lock:
                    if not key or not self.path.startswith(("/hooks/ok/", "/hooks/fail/")):
                        receiver.strange.append(f"{self.path} key={key!r}")
                    elif failing:
                        receiver.failed += 1
                    else:
                        receiver.ok[key] += 1
                body = b'{"error": "soak: receiver down"}' if failing else b'{"ok": true}'
                self.send_response(500 if failing else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        """Stop listening."""
        self.server.shutdown()
        self.server.server_close()


# --- Lost writes --------------------------------------------------------------------------------


def lost_writes(db: Path, written: Written, receiver: Receiver) -> dict[str, tuple[int, list[str]]]:
    """Per kind: how many acknowledged writes there were, and which are missing (or wrong)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        out: dict[str, tuple[int, list[str]]] = {}
        ids = {r[0] for r in con.execute("SELECT id FROM questionlog")}
        out["questions"] = (len(written.questions),
                            [f"question {q}" for q in sorted(written.questions - ids)])
        stored = dict(con.execute("SELECT id, question_id FROM feedback"))
        out["feedback"] = (len(written.feedback), [
            f"feedback {f} (question {q}): stored for question {stored.get(f)}"
            for f, q in sorted(written.feedback.items()) if stored.get(f) != q])
        missing = []
        for rid, question in sorted(written.faq.items()):
            row = con.execute("SELECT r.status, f.status, f.question FROM revision r LEFT JOIN "
                              "faqitem f ON f.id = r.record_id WHERE r.id = ?", (rid,)).fetchone()
            if row is None or row[0] != "PUBLISHED" or row[1] != "PUBLISHED" or row[2] != question:
                missing.append(f"revision {rid} ({question}): {row}")
        out["faq"] = (len(written.faq), missing)
        policies = {doc: (status, validity) for doc, status, validity in con.execute(
            "SELECT doc_number, status, validity FROM policy")}
        out["notices"] = (len(written.notices), [
            f"{doc}: {policies.get(doc)}" for doc in sorted(written.notices)
            if policies.get(doc, ("",))[0] != "PUBLISHED"])
        out["expiring"] = (len(written.expiring), [
            f"{doc}: {policies.get(doc)}" for doc in sorted(written.expiring)
            if policies.get(doc) != ("PUBLISHED", "EXPIRED")])
        firms = {r[0] for r in con.execute("SELECT uscc FROM firm")}
        out["firms"] = (len(written.firms), sorted(written.firms - firms))
        delivered = {r[0] for r in con.execute(
            "SELECT key FROM push WHERE channel = 'webhook' AND status = 'DELIVERED'")}
        out["webhook pushes"] = (len(delivered), [f"delivered, never received: {k}"
                                                  for k in sorted(delivered - set(receiver.ok))])
        return out
    finally:
        con.close()


def push_outcome(db: Path, failing: str) -> tuple[dict[str, int], dict[str, int]]:
    """Pushes by status: all of them, and the failing firm's."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        every = dict(con.execute("SELECT status, count(*) FROM push GROUP BY status"))
        theirs = dict(con.execute("SELECT p.status, count(*) FROM push p JOIN firm f ON "
                                  "f.id = p.firm_id WHERE f.uscc = ? GROUP BY p.status",
                                  (failing,)))
        return every, theirs
    finally:
        con.close()
