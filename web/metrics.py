"""``/metrics`` in Prometheus text format: this process's figures and the database's.

Replies and answer latency are counted where they happen, per process; under ``policykb serve
--workers N`` every worker writes them to ``PROMETHEUS_MULTIPROC_DIR`` (set by serve) and any
worker's scrape adds them all up. The shared figures (queue, ledger, applications, index
version) are read from the database at each scrape (kb.operations.metrics).
"""

import os
from collections.abc import Iterator

from fastapi import FastAPI
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector

from kb.clock import county_today
from kb.database.db import read_scope
from kb.operations.metrics import families

REPLIES = Counter("policykb_questions", "Questions answered, by reply kind (faq, passage: an "
                  "answer; related; none: handed to the hotline)", ["reply"])
ANSWER_SECONDS = Histogram("policykb_answer_seconds", "Time to answer a question (search and "
                           "answer, not the HTTP exchange)",
                           buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0))
SIGNIN_FAILURES = Counter("policykb_signin_failures", "Staff sign-ins refused (wrong password, "
                          "unknown or disabled account, throttled)", ["reason"])


class _Database:
    """Collects the shared figures from the database, and this process's index lag."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        state = self.app.state
        with read_scope(state.engine) as session:
            found = families(session=session, today=county_today())
        for family in found:
            kind = CounterMetricFamily if family.kind == "counter" else GaugeMetricFamily
            labels = sorted({k for sample, _ in family.samples for k in sample})
            metric = kind(family.name, family.help, labels=labels)
            for sample, value in family.samples:
                metric.add_metric([sample.get(k, "") for k in labels], value)
            yield metric
        index = state.readiness.check()["checks"]["index"]
        yield GaugeMetricFamily("policykb_index_process_version", "The index version this "
                                "process answers from", value=index["version"])
        yield GaugeMetricFamily("policykb_index_behind_seconds", "How long this process's index "
                                "has been behind the database (0: it is not)",
                                value=index["behind_s"])


def render(app: FastAPI) -> bytes:
    """The scrape: every worker's counters (or this process's) and the database's figures."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(_Process())
    registry.register(_Database(app))
    return generate_latest(registry)


class _Process:
    """This single process's own metrics (the default registry)."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()
