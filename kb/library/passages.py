"""Turn a policy, its interpretations and FAQ into retrieval passages."""

from sqlmodel import Session, col, delete, select

from kb.database.db import key
from kb.library.index_state import mark_changed
from kb.library.segment import segment
from kb.models import FaqItem, Interpretation, Passage, PassageKind, Policy, Status

INTERPRETATION_FIELDS = (
    ("background", PassageKind.BACKGROUND, "背景"),
    ("purpose", PassageKind.PURPOSE, "目的"),
    ("measures", PassageKind.MEASURES, "主要举措"),
)


def clause_passages(policy: Policy) -> tuple[str, list[Passage]]:
    """Passages of the policy text; returns the prepared text the offsets point into."""
    prepared, segments = segment(policy.full_text)
    return prepared, [
        Passage(policy_id=key(policy), kind=PassageKind.CLAUSE, section=s.section,
                heading=s.heading, text=s.text, start=s.start, end=s.end, meta=s.meta)
        for s in segments
    ]


def _section_passages(
    interp: Interpretation, text: str, kind: PassageKind, label: str, heading: str
) -> list[Passage]:
    _, segments = segment(text, preamble_label=label)
    out = []
    for s in segments:
        section = label if s.section == label else f"{label}{s.section}"
        out.append(Passage(policy_id=interp.policy_id, interpretation_id=interp.id, kind=kind,
                           section=section, heading=heading, text=s.text, start=s.start, end=s.end,
                           meta=s.meta))
    return out


def interpretation_passages(interp: Interpretation) -> list[Passage]:
    """Passages for 背景, 目的, 主要举措 and any further sections of an interpretation."""
    heading = interp.title or "政策解读"
    out: list[Passage] = []
    for attr, kind, label in INTERPRETATION_FIELDS:
        text = getattr(interp, attr)
        if text and text.strip():
            out += _section_passages(interp, text, kind, label, heading)
    for sec in interp.sections:
        out += _section_passages(interp, sec["text"], PassageKind.SECTION, sec["title"], heading)
    return out


def faq_passage(faq: FaqItem) -> Passage:
    """One passage per FAQ item: the question is its heading, question and answer its text."""
    return Passage(policy_id=faq.policy_id, interpretation_id=faq.interpretation_id, faq_id=faq.id,
                   kind=PassageKind.FAQ, section="问答", heading=faq.question,
                   text=f"问：{faq.question}\n答：{faq.answer}", start=0, end=len(faq.answer))


def rebuild_passages(*, session: Session, policy: Policy) -> int:
    """Cut a policy's passages anew from its published text, interpretations and FAQ."""
    session.exec(delete(Passage).where(col(Passage.policy_id) == policy.id))
    mark_changed(session, policy.id)  # searchers patch this policy at the next version
    if policy.status != Status.PUBLISHED:
        return 0
    if policy.source_text is None:  # written before the text as ingested was kept
        policy.source_text = policy.full_text
    policy.full_text = policy.source_text
    prepared, passages = clause_passages(policy)
    policy.full_text = prepared  # offsets of clause passages point into this form
    session.add(policy)
    interps = session.exec(select(Interpretation).where(
        Interpretation.policy_id == policy.id, Interpretation.status == Status.PUBLISHED)
        .order_by(col(Interpretation.id))).all()
    for interp in interps:
        passages += interpretation_passages(interp)
    faqs = session.exec(select(FaqItem).where(
        FaqItem.policy_id == policy.id, FaqItem.status == Status.PUBLISHED)
        .order_by(col(FaqItem.ordinal), col(FaqItem.id))).all()
    passages += [faq_passage(f) for f in faqs]
    for n, passage in enumerate(passages):
        passage.ordinal = n
        session.add(passage)
    session.flush()
    return len(passages)
