"""Benchmark: push delivery throughput per channel against local SMTP and webhook servers.

Starts an aiosmtpd server and a threaded webhook server on loopback, registers N firms per
channel, publishes one policy per channel group (the outbox writes the pushes in the publishing
transaction), then runs the worker (one unit in flight, as in production) and prints pushes
delivered per second.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from bench.pushdata import NOW, add_firms, publish  # noqa: E402
from bench.receivers import SmtpReceiver, WebhookReceiver  # noqa: E402
from kb.config import Settings  # noqa: E402
from kb.database.db import create_schema, make_engine, session_scope  # noqa: E402
from push.delivery.channels import build_channels  # noqa: E402
from push.delivery.models import Subscription  # noqa: E402
from push.delivery.worker import Worker  # noqa: E402

SECRET = "whsec_bench"
GROUPS = (("email", "城关镇"), ("webhook", "黎城街道"), ("inbox", "塔集镇"))


def main(argv: list[str] | None = None) -> int:
    """Set up, publish, deliver, print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=2000, help="pushes per channel (default 2000)")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp, SmtpReceiver() as smtp, \
            WebhookReceiver(SECRET) as hook:
        settings = Settings(home=Path(tmp) / "var", index_dir=Path(tmp) / "idx",
                            embedding_model="none", secret_key="bench",
                            smtp_host="127.0.0.1", smtp_port=smtp.controller.port,
                            push_daily_cap=10)
        settings.ensure_dirs()
        engine = make_engine(settings.db_url)
        create_schema(engine)
        worker = Worker(engine=engine, settings=settings, worker_id="bench",
                        channels=build_channels(settings=settings, engine=engine))
        for g, (channel, region) in enumerate(GROUPS):
            ids = add_firms(engine, args.n, start=g * args.n, channels=[channel], region=region,
                            contact_email=lambda i: f"firm{i}@bench.test",
                            webhook_url=lambda i: f"{hook.url}/hooks/{i}")
            with session_scope(engine) as session:
                session.add_all(Subscription(firm_id=i, webhook_secret=SECRET) for i in ids)
            start = time.perf_counter()
            publish(engine, title=f"基准政策（{channel}）", regions=[region])
            enqueue_s = time.perf_counter() - start
            start = time.perf_counter()
            report = worker.run_once(now=NOW)
            send_s = time.perf_counter() - start
            rows.append((channel, report.delivered, enqueue_s, send_s))
        for channel in worker.channels.values():
            channel.close()
        received = {"email": len(smtp.keys), "webhook": len(hook.keys)}
        engine.dispose()
    print(f"{'channel':<8} {'pushes':>7} {'outbox s':>9} {'deliver s':>10} {'pushes/s':>9} {'received':>9}")
    for channel, delivered, enqueue_s, send_s in rows:
        print(f"{channel:<8} {delivered:>7} {enqueue_s:>9.2f} {send_s:>10.2f} "
              f"{delivered / send_s:>9.0f} {received.get(channel, delivered):>9}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
