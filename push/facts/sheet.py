"""A firm's facts in memory, by name and year, for the calculator (one firm or many at once)."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from kb.database.db import chunks
from push.facts.models import FirmFact


@dataclass
class FactSheet:
    """Values by (name, year); a fact absent for a year is missing, never zero."""

    values: dict[tuple[str, int], Any] = field(default_factory=dict)

    def get(self, name: str, year: int) -> Any:
        """The value for that year, or None."""
        return self.values.get((name, year))

    def years(self, name: str) -> list[int]:
        """The years for which the fact is known."""
        return sorted(y for n, y in self.values if n == name)

    @classmethod
    def of(cls, mapping: dict[str, dict[int, Any]]) -> "FactSheet":
        """A sheet from {name: {year: value}} (tests, anonymous profiles)."""
        return cls({(n, y): v for n, by_year in mapping.items() for y, v in by_year.items()})


def sheet_for(*, session: Session, firm_id: int) -> FactSheet:
    """Every stored fact of one firm."""
    rows = session.exec(select(FirmFact.name, FirmFact.year, FirmFact.value).where(
        FirmFact.firm_id == firm_id))
    return FactSheet({(n, y): v["v"] for n, y, v in rows})


def sheets_for(*, session: Session, names: Iterable[str], years: Iterable[int],
               firm_ids: list[int] | None = None) -> dict[int, FactSheet]:
    """Sheets of many firms, holding only the named facts and years (the 免申即享 list's read)."""
    names, years = sorted(set(names)), sorted(set(years))
    out: dict[int, FactSheet] = defaultdict(FactSheet)
    if not names or not years:
        return out
    query = select(FirmFact.firm_id, FirmFact.name, FirmFact.year, FirmFact.value).where(
        col(FirmFact.name).in_(names), col(FirmFact.year).in_(years))
    for chunk in [None] if firm_ids is None else chunks(firm_ids):
        q = query if chunk is None else query.where(col(FirmFact.firm_id).in_(chunk))
        for firm_id, name, year, value in session.connection().execute(q):
            out[firm_id].values[(name, year)] = value["v"]
    return out
