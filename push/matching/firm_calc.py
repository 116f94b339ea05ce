"""The policy calculator for a registered firm, with each policy's own terms judged first.

A guide's rules say how much; the policy's facets say for whom (industry, size, region,
qualifications). A firm the facets refuse is told that first, and not asked for figures that
could not change the answer.
"""

from datetime import date

from sqlmodel import Session

from kb.clock import county_today
from kb.database.db import key
from kb.errors import KBError
from push.facts.catalog import Catalog
from push.facts.sheet import sheet_for
from push.firms.models import Firm
from push.guides.calculator import Estimate
from push.guides.service import calculator_for, live_guides
from push.matching.facets import compile_policy
from push.matching.matcher import firm_criteria, firm_size
from push.matching.rules import gate_checks


def firm_estimates(*, session: Session, firm: Firm, year: int,
                   today: date | None = None) -> list[Estimate]:
    """Every live guide for a registered firm (its stored facts and qualifications), each
    policy's industry, size, region and qualifications first: one the firm fails decides."""
    sheet = sheet_for(session=session, firm_id=key(firm))
    catalog, size, held = Catalog.load(session), firm_size(firm), frozenset(firm.qualifications or [])
    out = []
    for policy, guide in live_guides(session):
        try:
            gates = gate_checks(firm_criteria(compile_policy(policy, today or county_today()),
                                              firm, size))
        except KBError:  # unreadable facets (the matcher skips the policy): the rules alone
            gates = []
        out.append(calculator_for(guide, policy, catalog).estimate(sheet, held, year, gates))
    return out
