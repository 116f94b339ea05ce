"""What the knowledge base reports for monitoring, read from the database at scrape time.

Figures that every process shares (the ledger, the index version; push's queue through the
``policykb.metrics`` entry point) are counted in the database when scraped, so any worker answers
with the same numbers and a separate push worker process is counted too. Figures of one process
(answer latency, replies given, failed sign-ins) are web's (web/metrics.py). Plain data here: the
exposition format is web's business.
"""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from kb import plugins
from kb.feedback.ledger_matching import OPEN_STATES
from kb.feedback.models import LedgerTopic
from kb.library.index_state import current_version


@dataclass
class Family:
    """One metric: its name, help, ``gauge`` or ``counter``, and samples (labels, value)."""

    name: str
    help: str
    kind: str = "gauge"
    samples: list[tuple[dict[str, str], float]] = field(default_factory=list)


def families(*, session: Session, today: date) -> list[Family]:
    """kb's figures, then each ``policykb.metrics`` plugin's (push's queue and applications)."""
    found = [_ledger(session, today),
             Family("policykb_index_database_version",
                    "The database's search index version (publications, withdrawals, rollbacks)",
                    samples=[({}, float(current_version(session=session)))])]
    for more in plugins.load("metrics"):
        found += more(session=session, today=today)
    return found


def _ledger(session: Session, today: date) -> Family:
    is_open = col(LedgerTopic.status).in_(OPEN_STATES)
    open_n = session.exec(select(func.count()).select_from(LedgerTopic).where(is_open)).one()
    overdue = session.exec(select(func.count()).select_from(LedgerTopic).where(
        is_open, col(LedgerTopic.due_date) < today)).one()
    return Family("policykb_ledger_topics", "Unanswered-question ledger topics waiting for an "
                  "answer, and those of them past their due date",
                  samples=[({"state": "open"}, float(open_n)), ({"state": "overdue"}, float(overdue))])
