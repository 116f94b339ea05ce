"""Answers to "is this policy still valid?": read from the policy's own fields, not from a clause."""

from datetime import date
from typing import Any

from sqlmodel import Session

from kb.models import Policy


def _day(d: date | None) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if d else ""


def validity_facts(*, session: Session, policy_id: int, public_url: str) -> dict[str, Any] | None:
    """The policy's status, dates, successor (with its link) and application window."""
    pol = session.get(Policy, policy_id)
    if pol is None:
        return None
    newer = session.get(Policy, pol.superseded_by_id) if pol.superseded_by_id else None
    base = public_url.rstrip("/")
    return {
        "policy_id": pol.id, "title": pol.title, "doc_number": pol.doc_number,
        "validity": str(pol.validity), "url": f"{base}/policies/{pol.id}",
        "effective_from": pol.effective_from.isoformat() if pol.effective_from else None,
        "effective_to": pol.effective_to.isoformat() if pol.effective_to else None,
        "apply_from": pol.apply_from.isoformat() if pol.apply_from else None,
        "apply_to": pol.apply_to.isoformat() if pol.apply_to else None,
        "superseded_by": {"policy_id": newer.id, "title": newer.title,
                          "doc_number": newer.doc_number, "validity": str(newer.validity),
                          "url": f"{base}/policies/{newer.id}"} if newer else None,
        "text": statement(pol, newer, base),
    }


def statement(pol: Policy, newer: Policy | None, base: str) -> str:
    """One paragraph an agent can read out: status, dates, successor, application window."""
    name = f"《{pol.title}》" + (f"（{pol.doc_number}）" if pol.doc_number else "")
    parts = [f"{name}当前状态：{pol.validity}。"]
    if pol.effective_from or pol.effective_to:
        parts.append(f"施行期：{_day(pol.effective_from) or '—'}至{_day(pol.effective_to) or '—'}。")
    if newer is not None:
        parts.append(f"已由《{newer.title}》" + (f"（{newer.doc_number}）" if newer.doc_number else "")
                     + f"替代，请按新政策办理：{base}/policies/{newer.id}。")
    elif str(pol.validity) != "有效":
        parts.append("该政策已不再执行，如需了解现行政策请咨询主管部门。")
    if pol.apply_from or pol.apply_to:
        parts.append(f"申报时间：{_day(pol.apply_from) or '—'}至{_day(pol.apply_to) or '—'}。")
    return "".join(parts)
