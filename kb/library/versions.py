"""Immutable published versions of a policy (fields, interpretations, FAQ) and restoring one."""

from datetime import date
from typing import TypeVar

from sqlmodel import Session, col, select

from kb.database.db import key
from kb.errors import NotFound
from kb.library.fields import DATE_NAMES, NAMES
from kb.models import FaqItem, Interpretation, Policy, PolicyVersion, Status, utcnow

# Everything a policy's published state holds besides its interpretations and FAQ; its text
# is kept as written (``source_text``), so policy_fields() reads it apart.
POLICY_FIELDS = tuple(name for name in NAMES if name != "full_text")
INTERPRETATION_FIELDS = ("title", "background", "purpose", "measures", "sections", "drafter",
                         "reviewer", "publisher")
FAQ_FIELDS = ("question", "answer", "ordinal", "drafter", "reviewer", "publisher")

Item = TypeVar("Item", Interpretation, FaqItem)


def _plain(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "value"):  # enums
        return value.value
    return list(value) if isinstance(value, list) else value


def policy_fields(policy: Policy) -> dict:
    """A policy's own fields as JSON-ready values, ``full_text`` being the text as written."""
    out = {name: _plain(getattr(policy, name)) for name in POLICY_FIELDS}
    out["full_text"] = policy.source_text if policy.source_text is not None else policy.full_text
    return out


def interpretation_fields(interp: Interpretation) -> dict:
    """An interpretation as JSON-ready values."""
    return {"id": interp.id} | {n: _plain(getattr(interp, n)) for n in INTERPRETATION_FIELDS}


def faq_fields(faq: FaqItem) -> dict:
    """An FAQ item as JSON-ready values."""
    return {"id": faq.id} | {n: _plain(getattr(faq, n)) for n in FAQ_FIELDS}


def published_items(*, session: Session, policy_id: int) -> tuple[list[Interpretation], list[FaqItem]]:
    """A policy's published interpretations and FAQ, in display order."""
    interps = session.exec(select(Interpretation).where(
        Interpretation.policy_id == policy_id, Interpretation.status == Status.PUBLISHED)
        .order_by(col(Interpretation.id))).all()
    faq = session.exec(select(FaqItem).where(
        FaqItem.policy_id == policy_id, FaqItem.status == Status.PUBLISHED)
        .order_by(col(FaqItem.ordinal), col(FaqItem.id))).all()
    return list(interps), list(faq)


def snapshot(*, session: Session, policy: Policy) -> dict:
    """The policy as published right now."""
    interps, faq = published_items(session=session, policy_id=key(policy))
    return {"policy": policy_fields(policy),
            "interpretations": [interpretation_fields(i) for i in interps],
            "faq": [faq_fields(f) for f in faq]}


def record_version(*, session: Session, policy: Policy, summary: str, published_by: str,
                   revision_id: int | None = None) -> PolicyVersion:
    """Keep the policy's current published state as version ``policy.version``."""
    session.flush()
    row = PolicyVersion(policy_id=key(policy), version=policy.version,
                        snapshot=snapshot(session=session, policy=policy), summary=summary[:300],
                        revision_id=revision_id, published_by=published_by)
    session.add(row)
    session.flush()
    return row


def list_versions(*, session: Session, policy_id: int) -> list[PolicyVersion]:
    """Every kept version of a policy, newest first."""
    return list(session.exec(select(PolicyVersion).where(PolicyVersion.policy_id == policy_id)
                             .order_by(col(PolicyVersion.version).desc())))


def get_version(*, session: Session, policy_id: int, version: int) -> PolicyVersion:
    """One kept version, or NotFound."""
    row = session.exec(select(PolicyVersion).where(
        PolicyVersion.policy_id == policy_id, PolicyVersion.version == version)).first()
    if row is None:
        raise NotFound(f"政策 {policy_id} 没有第 {version} 版")
    return row


def apply_policy_fields(policy: Policy, fields: dict) -> None:
    """Set a policy's own fields from JSON-ready values (a snapshot or a draft)."""
    for name in POLICY_FIELDS:
        if name not in fields:
            continue
        value = fields[name]
        if name in DATE_NAMES and isinstance(value, str):
            value = date.fromisoformat(value) if value else None
        setattr(policy, name, value)
    if "full_text" in fields:
        policy.source_text = fields["full_text"]
        policy.full_text = fields["full_text"]
    policy.updated_at = utcnow()


def restore(*, session: Session, policy: Policy, snap: dict) -> None:
    """Make a snapshot the published state again: fields, and exactly its interpretations and FAQ."""
    apply_policy_fields(policy, snap["policy"])
    policy.status = Status.PUBLISHED
    session.add(policy)
    _restore_items(session, Interpretation, key(policy), snap["interpretations"],
                   INTERPRETATION_FIELDS)
    _restore_items(session, FaqItem, key(policy), snap["faq"], FAQ_FIELDS)
    session.flush()


def _restore_items(session: Session, model: type[Item], policy_id: int, items: list[dict],
                   fields: tuple[str, ...]) -> None:
    wanted = {item["id"]: item for item in items}
    for live in session.exec(select(model).where(model.policy_id == policy_id)):
        if live.id not in wanted and live.status == Status.PUBLISHED:
            live.status = Status.WITHDRAWN
            session.add(live)
    for item in items:
        row = session.get(model, item["id"])
        if row is None or row.policy_id != policy_id:  # gone since (deleted by hand): recreate
            row = model(policy_id=policy_id, **{n: item[n] for n in fields})
        for name in fields:
            setattr(row, name, item[name])
        row.status = Status.PUBLISHED
        session.add(row)


def backfill(*, session: Session) -> int:
    """Keep a first version of every policy that has none (published before versions were kept)."""
    have = select(PolicyVersion.policy_id)
    missing = session.exec(select(Policy).where(col(Policy.id).not_in(have))).all()
    for policy in missing:
        record_version(session=session, policy=policy, summary="启用版本管理时的已发布版本",
                       published_by=policy.publisher or "")
    return len(missing)
