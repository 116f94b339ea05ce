"""Keeping a searcher's snapshot in step with the database: the change log, patching, compaction.

When the index version moves, the change log names the policies changed, their passages that
appeared are tokenised (and embedded) into a small delta segment, those that went are marked dead,
and ranking statistics are taken from the rows alive, so a patched index ranks exactly as a rebuilt
one. Segments are merged (dead rows dropped, the base saved) in a background thread and swapped
in; a question never waits for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from sqlmodel import Session, col, select

from kb.database.db import chunks
from kb.library.index_state import changes_since
from kb.models import Passage, PassageKind, Policy, Status
from kb.search.lexical import DocText, LexicalConfig, LexicalIndex, doc_tokens
from kb.search.rows import PolicyFacts, RowTable

if TYPE_CHECKING:
    from sqlalchemy import Select

    from kb.search.semantic import SemanticChannel

# A select over passages, sqlmodel's or SQLAlchemy's: ``published`` keeps its type.
Stmt = TypeVar("Stmt", bound="Select[*tuple[Any, ...]]")


@dataclass(frozen=True)
class Snapshot:
    """Rows and the lexical index over them: a search reads one, a refresh swaps in the next."""

    table: RowTable
    lexical: LexicalIndex
    generation: int = 0  # a new base (a rebuild or a compaction) starts a new generation


# --- following the change log -----------------------------------------------------------


def sync(session: Session, snap: Snapshot, *, since: int | None, version: int,
         cfg: LexicalConfig, dense: SemanticChannel | None,
         questions: SemanticChannel | None,
         texts: Callable[[np.ndarray], list[str]],
         question_texts: Callable[[np.ndarray], list[str]],
         themes: Callable[[], dict[int, set[str]]]) -> Snapshot:
    """``snap`` brought in step with the published passages at ``version``: rows, lexical segments
    and the dense channels (``dense``, ``questions``: SemanticChannel or None).

    Only the policies the change log names after ``since`` are compared (all of them when
    ``since`` is None or the log cannot say).
    """
    changed = None if since is None else changes_since(session=session, since=since,
                                                       until=version)
    table, lexical = snap.table.copy(), snap.lexical
    if changed is None:
        only = None
        ids = published_ids(session)
        live = table.live_ids
    else:
        only = np.fromiter(sorted(changed), dtype=np.int64, count=len(changed))
        ids = published_ids(session, policies=only)
        live = np.sort(table.passage_ids[table.alive & np.isin(table.policy_ids, only)])
    added = np.setdiff1d(ids, live, assume_unique=True)
    removed = np.setdiff1d(live, ids, assume_unique=True)
    table.kill(removed)
    if len(added):
        rows = fetch(session, added)
        table.append(*columns([p for p, _ in rows]))
        lexical = lexical.extend([doc_tokens(DocText(t, p.heading, p.text), cfg)
                                  for p, t in rows])
    if len(added) or len(removed):
        lexical = lexical.with_alive(table.alive)  # the statistics follow the live rows
        if dense is not None:
            if only is None:  # the dense index may hold another set than the base
                dense.sync(table.live_ids, texts)
            else:
                dense.apply(added, removed, texts)
            if questions is not None:
                questions.sync(table.live_faq_ids, question_texts)
    table.set_policies(_policy_facts(session, only), only=only)
    table.themes_loader = themes
    return Snapshot(table, lexical, snap.generation)


# --- compaction -------------------------------------------------------------------------


def needs_compaction(lexical: LexicalIndex, *, delta_min: int, delta_fraction: float,
                     max_segments: int) -> bool:
    """Whether the segments have grown enough to be merged into a new base."""
    if len(lexical.segments) <= 1 and lexical.n_live == lexical.n_docs:
        return False
    limit = max(delta_min, delta_fraction * lexical.n_base)
    return (len(lexical.segments) > max_segments or lexical.delta_rows > limit
            or lexical.n_docs - lexical.n_live > limit)


def after_compaction(now: Snapshot, merged_from: Snapshot, merged: LexicalIndex,
                     kept: np.ndarray, cfg: LexicalConfig, generation: int) -> Snapshot:
    """``now`` with the segments of ``merged_from`` replaced by their merge (``kept``: the rows
    the merge kept, by their old numbers); segments added to ``now`` since stay as they are."""
    table = now.table.compacted(kept, len(merged_from.table))
    later = now.lexical.segments[len(merged_from.lexical.segments):]
    return Snapshot(table, LexicalIndex(merged.segments + later, cfg, table.alive), generation)


# --- reading published passages ---------------------------------------------------------


def published(stmt: Stmt) -> Stmt:
    """``stmt`` over passages, restricted to published policies, in passage order."""
    return (stmt.join(Policy, col(Passage.policy_id) == Policy.id)
            .where(col(Policy.status) == Status.PUBLISHED).order_by(col(Passage.id)))


def published_ids(session: Session, *, faq: bool = False,
                  policies: np.ndarray | None = None) -> np.ndarray:
    """Ids of the published passages (FAQ ones with ``faq``; of ``policies`` only), sorted."""
    stmt = published(select(Passage.id))
    if faq:
        stmt = stmt.where(Passage.kind == PassageKind.FAQ)
    if policies is None:
        # Core rows, not ORM objects: this runs over every passage.
        return np.fromiter((row[0] for row in session.connection().execute(stmt)), dtype=np.int64)
    out: list[int] = []
    for chunk in chunks(policies, 900):
        out += [row[0] for row in session.connection().execute(
            stmt.where(col(Passage.policy_id).in_([int(i) for i in chunk])))]
    return np.sort(np.asarray(out, dtype=np.int64))


def fetch(session: Session, ids: np.ndarray) -> list[tuple[Passage, str]]:
    """The published passages of ``ids`` with their policy's title."""
    out: list[tuple[Passage, str]] = []
    for chunk in chunks(ids, 900):
        out += session.exec(published(select(Passage, Policy.title))
                            .where(col(Passage.id).in_([int(i) for i in chunk]))).all()
    return out


def columns(passages: list[Passage]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A row table's columns for ``passages``: passage ids, policy ids, whether FAQ."""
    n = len(passages)
    return (np.fromiter((p.id for p in passages), dtype=np.int64, count=n),
            np.fromiter((p.policy_id for p in passages), dtype=np.int64, count=n),
            np.fromiter((p.kind == PassageKind.FAQ for p in passages), dtype=bool, count=n))


def _policy_facts(session: Session, policies: np.ndarray | None = None
                  ) -> dict[int, PolicyFacts]:
    stmt = select(Policy.id, Policy.validity, Policy.department_id).where(
        Policy.status == Status.PUBLISHED)
    if policies is None:
        return {pid: PolicyFacts(v, d) for pid, v, d in session.connection().execute(stmt)}
    out: dict[int, PolicyFacts] = {}
    for chunk in chunks(policies, 900):
        out |= {pid: PolicyFacts(v, d) for pid, v, d in session.connection().execute(
            stmt.where(col(Policy.id).in_([int(p) for p in chunk])))}
    return out


def embed_text(title: str, heading: str, text: str) -> str:
    """What a passage's vector is computed from: the title and heading give the clause context."""
    head = heading if heading and heading != title else ""
    return "\n".join(part for part in (title, head, text) if part)


def embedded_texts(session: Session) -> list[str]:
    """Every text a searcher embeds: published passages (with their title and heading) and
    FAQ questions, once each."""
    rows = fetch(session, published_ids(session))
    faq = set(published_ids(session, faq=True).tolist())
    texts = [embed_text(t, p.heading, p.text) for p, t in rows]
    return list(dict.fromkeys(texts + [p.heading for p, _ in rows if p.id in faq]))
