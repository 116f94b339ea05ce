"""Hit citations: each passage with its policy's title, 文号 and validity, its successor and the
sign-off names, read in one Core query and kept for the index version they were read at."""

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias, TypedDict

import numpy as np
from sqlalchemy import bindparam, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlmodel import col

from kb.database.db import chunks
from kb.models import FaqItem, Interpretation, Passage, Policy, Status

if TYPE_CHECKING:
    from sqlalchemy import Row

CitationRow: TypeAlias = "Row[*tuple[Any, ...]]"  # one row of _CITATIONS, read by column name
PassageIds: TypeAlias = Sequence[int] | np.ndarray
# passage id -> citation row, and passage id -> a hit's fields but its score
Kept: TypeAlias = "tuple[dict[int, CitationRow], dict[int, dict[str, Any]]]"


class Successor(TypedDict):
    """The policy that superseded a hit's policy."""

    policy_id: int
    title: str
    doc_number: str | None


@dataclass
class Hit:
    """One ranked passage with its citation."""

    passage_id: int
    policy_id: int
    title: str
    doc_number: str | None
    section: str
    heading: str
    kind: str
    text: str
    score: float
    validity: str
    superseded_by: Successor | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    faq_id: int | None = None
    # 拟稿人 / 审核人 / 发布人 of the record the passage comes from
    signoff: dict[str, str | None] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


SIGNOFF = ("drafter", "reviewer", "publisher")
_NEWER = aliased(Policy)


# Passages with their policy's citation, its successor and the sign-off names, in one query;
# built once, so SQLAlchemy compiles it once (building a select costs more than running it).
_CITATIONS = (select(col(Passage.id), col(Passage.policy_id), col(Passage.section),
                     col(Passage.heading), col(Passage.kind), col(Passage.text), col(Passage.meta),
                     col(Passage.faq_id), col(Policy.title), col(Policy.doc_number),
                     col(Policy.validity), col(Policy.status), col(_NEWER.id).label("newer_id"),
                     col(_NEWER.title).label("newer_title"),
                     col(_NEWER.doc_number).label("newer_doc_number"),
                     *(getattr(FaqItem, k).label(f"faq_{k}") for k in SIGNOFF),
                     *(getattr(Interpretation, k).label(f"interp_{k}") for k in SIGNOFF),
                     *(getattr(Policy, k).label(f"policy_{k}") for k in SIGNOFF))
              .join(Policy, col(Passage.policy_id) == Policy.id)
              .outerjoin(_NEWER, col(Policy.superseded_by_id) == _NEWER.id)
              .outerjoin(FaqItem, col(Passage.faq_id) == FaqItem.id)
              .outerjoin(Interpretation, col(Passage.interpretation_id) == Interpretation.id)
              .where(col(Passage.id).in_(bindparam("ids", expanding=True))))


def _signoff(row: CitationRow) -> dict[str, str | None] | None:
    """拟稿人 / 审核人 / 发布人 of the FAQ item, else the interpretation, else the policy."""
    for source in ("faq", "interp", "policy"):
        if source == "interp" and row.faq_id:
            continue  # a FAQ passage is signed off as the FAQ item (or, without names, the policy)
        names = {k: getattr(row, f"{source}_{k}") for k in SIGNOFF}
        if any(names.values()):
            return names
    return None



class Citations:
    """Citation rows read at one index version: every change to what a hit cites moves the
    version, and the searcher calls ``forget`` before it puts the new snapshot in."""

    MAX = 20_000  # rows kept per index version (clause texts: tens of MB at most)

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # passage id -> row, and passage id -> a hit's fields but its score, made from the row;
        # replaced together (one tuple), so a hit is never made from an older version's row.
        self._kept: Kept = ({}, {})

    def forget(self) -> None:
        """Read every row anew from here on (replaced, never cleared: readers keep theirs)."""
        self._kept = ({}, {})

    def rows(self, passage_ids: PassageIds) -> dict[int, CitationRow]:
        """The citation rows of ``passage_ids`` that exist, kept or read (one query per call)."""
        return self._rows_in(self._kept, passage_ids)

    def _rows_in(self, kept: Kept, passage_ids: PassageIds) -> dict[int, CitationRow]:
        rows = kept[0]
        missing = [int(i) for i in passage_ids if int(i) not in rows]
        if missing:
            if len(rows) + len(missing) > self.MAX:
                kept = self._kept = ({}, {})
                rows = kept[0]
            with self.engine.connect() as conn:
                for chunk in chunks(missing, 900):
                    rows.update((row.id, row) for row in conn.execute(_CITATIONS, {"ids": chunk}))
        return {int(i): rows[int(i)] for i in passage_ids if int(i) in rows}

    def hits(self, passage_ids: list[int], scores: list[float]) -> list[Hit]:
        """Hits with citations for passage ids (passages deleted meanwhile are skipped)."""
        if not passage_ids:
            return []
        kept = self._kept
        found = self._rows_in(kept, passage_ids)
        made = kept[1]
        hits = []
        for pid, score in zip(passage_ids, scores, strict=True):
            fields = made.get(pid)
            if fields is None:
                r = found.get(pid)
                if r is None:
                    continue  # deleted since the index was loaded; the next refresh drops it
                fields = made[pid] = _fields(r)
            hits.append(Hit(**fields, score=round(score, 4)))
        return hits

    def headings(self, passage_ids: PassageIds) -> dict[int, str]:
        """Headings (for FAQ passages: the question) of published passages, by passage id."""
        return {pid: row.heading for pid, row in self.rows(passage_ids).items()
                if row.status == Status.PUBLISHED}


def _fields(r: CitationRow) -> dict[str, Any]:
    """A hit's fields but its score, from its citation row (shared by its hits: never changed)."""
    return {"passage_id": r.id, "policy_id": r.policy_id, "title": r.title,
            "doc_number": r.doc_number, "section": r.section, "heading": r.heading,
            "kind": r.kind, "text": r.text, "validity": r.validity,
            "superseded_by": {"policy_id": r.newer_id, "title": r.newer_title,
                              "doc_number": r.newer_doc_number} if r.newer_id else None,
            "meta": r.meta, "faq_id": r.faq_id, "signoff": _signoff(r)}
