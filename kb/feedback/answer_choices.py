"""What a ledger topic can be linked to: published FAQ and interpretations, by name."""

from dataclasses import dataclass

from sqlmodel import Session, col, select

from kb.database.db import key
from kb.models import FaqItem, Interpretation, Policy, Status


@dataclass(frozen=True)
class AnswerChoice:
    """One published answer, as a picker lists it."""

    kind: str  # "faq" | "interpretation"
    record_id: int
    label: str

    @property
    def value(self) -> str:
        """The form value, e.g. "faq:12"."""
        return f"{self.kind}:{self.record_id}"


def answer_choices(*, session: Session, department_id: int | None = None) -> list[AnswerChoice]:
    """Published FAQ and interpretations of published policies (of ``department_id`` when
    given), grouped by policy."""
    policies = select(Policy).where(Policy.status == Status.PUBLISHED)
    if department_id is not None:
        policies = policies.where(Policy.department_id == department_id)
    titles = {p.id: p.title for p in session.exec(policies.order_by(col(Policy.id)))}
    if not titles:
        return []
    out: list[AnswerChoice] = []
    for i in session.exec(select(Interpretation).where(
            Interpretation.status == Status.PUBLISHED, col(Interpretation.policy_id).in_(titles))
            .order_by(col(Interpretation.policy_id), col(Interpretation.id))):
        out.append(AnswerChoice("interpretation", key(i),
                                f"政策解读：{i.title or titles[i.policy_id]}（{titles[i.policy_id]}）"))
    for f in session.exec(select(FaqItem).where(
            FaqItem.status == Status.PUBLISHED, col(FaqItem.policy_id).in_(titles))
            .order_by(col(FaqItem.policy_id), col(FaqItem.ordinal), col(FaqItem.id))):
        out.append(AnswerChoice("faq", key(f), f"常见问题：{f.question}（{titles[f.policy_id]}）"))
    return out


def parse_choice(value: str) -> tuple[str, int] | None:
    """("faq", 12) from "faq:12"; None when the value is not of that form."""
    kind, _, number = (value or "").strip().partition(":")
    if kind not in ("faq", "interpretation") or not number.isdigit():
        return None
    return kind, int(number)
