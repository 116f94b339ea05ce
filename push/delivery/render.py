"""Message text in Chinese: title, 文号, why it fits, what changed, deadline, tracked links."""

from html import escape

from kb.config import Settings
from kb.database.db import key as row_key  # ``key`` below is the message's idempotency key
from push.delivery.channels.base import Outgoing
from push.delivery.models import Digest, Push, PushKind, Subscription
from push.delivery.tokens import firm_token, track_token, unsubscribe_token
from push.firms.models import Firm
from push.settings import push_settings

KIND_LABELS = {
    PushKind.NEW: "政策推送", PushKind.REVISED: "政策更新", PushKind.SUPERSEDED: "政策替代",
    PushKind.REMINDER_14: "申报提醒", PushKind.REMINDER_3: "申报提醒",
    PushKind.APPLICATION: "申报进展", PushKind.GUIDE: "可享金额",
}
SMS_MAX = 70  # characters of text, before the short link


class Links:
    """The signed URLs a message carries."""

    def __init__(self, *, settings: Settings, firm_id: int) -> None:
        self.base = settings.public_url.rstrip("/")
        self.key = settings.signing_key()
        self.firm_id = firm_id
        self.days = push_settings(settings).firm_link_days

    def track(self, push: Push) -> str:
        """Tracked redirect to the policy page."""
        return f"{self.base}/push/r/{track_token(key=self.key, push_id=row_key(push))}"

    def pixel(self, push: Push) -> str:
        """The open-tracking image."""
        return f"{self.base}/push/o/{track_token(key=self.key, push_id=row_key(push))}.gif"

    def policy(self, policy_id: int) -> str:
        """The public policy page."""
        return f"{self.base}/policies/{policy_id}"

    def unsubscribe(self, theme: str | None = None) -> str:
        """One-click unsubscribe, from one theme or everything."""
        token = unsubscribe_token(key=self.key, firm_id=self.firm_id, theme=theme)
        return f"{self.base}/push/unsubscribe?token={token}"

    def firm_page(self) -> str:
        """The firm's own page: inbox, settings, 已申报/不适用."""
        token = firm_token(key=self.key, firm_id=self.firm_id, days=self.days)
        return f"{self.base}/push/firm?token={token}"


def _item_lines(push: Push, links: Links) -> list[str]:
    lines = [f"【{KIND_LABELS[push.kind]}】{push.title}"]
    if push.kind == PushKind.APPLICATION:  # the move's lines, written when it was made
        return [*lines, *push.reasons, f"查看办理进度：{links.firm_page()}"]
    if push.doc_number:
        lines.append(f"文号：{push.doc_number}")
    if push.kind in (PushKind.REMINDER_14, PushKind.REMINDER_3):
        lines.append(f"提醒：{'；'.join(push.reasons)}。如已申报或不适用，可在企业页面标记，不再提醒。")
    elif push.reasons and push.kind == PushKind.NEW:
        lines.append("为什么推送给您：" + "；".join(push.reasons))
    elif push.reasons and push.kind == PushKind.GUIDE:  # the lead line, then the matcher's reasons
        lines += [push.reasons[0], "为什么推送给您：" + "；".join(push.reasons[1:])]
    if push.kind == PushKind.REVISED:
        lines.append("本次变更：" + ("、".join(push.changes) or "政策内容"))
    if push.kind == PushKind.SUPERSEDED:
        lines.append(f"该政策已被新政策替代：{push.successor_title or '新政策'}")
        if push.successor_id:
            lines.append(f"新政策：{links.policy(push.successor_id)}")
    if push.deadline:
        lines.append(f"申报截止：{push.deadline.isoformat()}")
    lines.append(f"查看政策：{links.track(push)}")
    return lines


def _item_html(push: Push, links: Links) -> str:
    rows = "".join(f"<p>{escape(line)}</p>" for line in _item_lines(push, links)[1:-1])
    return (f'<div><h3>{escape(KIND_LABELS[push.kind])}：{escape(push.title)}</h3>{rows}'
            f'<p><a href="{escape(links.track(push))}">查看政策详情</a></p>'
            f'<img src="{escape(links.pixel(push))}" width="1" height="1" alt=""></div>')


def _subject(pushes: list[Push], digest: Digest | None) -> str:
    if digest is not None:
        period = "每周" if digest.period == "weekly" else "每日"
        return f"【政策通{period}汇总】{len(pushes)}条涉企政策消息"
    push = pushes[0]
    suffix = ""
    if push.kind.startswith("reminder"):
        if push.deadline is None:  # reminders are written with their policy's deadline
            raise AttributeError(f"提醒推送{push.id}没有申报截止日期")
        suffix = f"（{push.deadline.isoformat()}截止）"
    if push.kind == PushKind.APPLICATION and len(push.reasons) > 1:
        suffix = f"：{push.reasons[1].removeprefix('当前节点：')}"
    return f"【{KIND_LABELS[push.kind]}】{push.title}{suffix}"


def render(
    *, settings: Settings, firm: Firm, sub: Subscription | None, pushes: list[Push], key: str,
    channel: str, digest: Digest | None = None,
) -> Outgoing:
    """The message for one push, or for a digest of ``pushes``."""
    links = Links(settings=settings, firm_id=row_key(firm))
    themes = list(dict.fromkeys(t for p in pushes for t in p.themes))
    text_parts = [f"{firm.name}：", ""]
    for push in pushes:
        text_parts += [*_item_lines(push, links), ""]
    footer = [f"管理推送设置、标记已申报/不适用：{links.firm_page()}"]
    footer += [f"退订“{t}”主题：{links.unsubscribe(t)}" for t in themes]
    footer.append(f"退订全部推送：{links.unsubscribe()}")
    text = "\n".join(text_parts + ["——", *footer, "（本消息由政策通自动发送，请勿直接回复）"])
    foot_html = "".join(
        f'<a href="{escape(links.unsubscribe(t))}">退订“{escape(t)}”</a> · ' for t in themes)
    html = (f"<html><body><p>{escape(firm.name)}：</p>"
            + "".join(_item_html(p, links) for p in pushes)
            + f'<hr><p><a href="{escape(links.firm_page())}">管理推送设置</a> · {foot_html}'
            f'<a href="{escape(links.unsubscribe())}">退订全部推送</a></p></body></html>')
    first = pushes[0]
    head = f"【政策通】{KIND_LABELS[first.kind]}：{first.title}"
    if digest is not None:
        head = f"【政策通】您有{len(pushes)}条政策消息：{first.title}等"
    sms = (head if len(head) <= SMS_MAX else head[:SMS_MAX - 1] + "…")
    sms_link = links.track(first) if digest is None else links.firm_page()
    payload: dict[str, object] = {
        "key": key,
        "type": "digest" if digest else (
            "application.move" if first.kind == PushKind.APPLICATION else f"policy.{first.kind}"),
        "firm": {"id": firm.id, "uscc": firm.uscc, "name": firm.name},
        "items": [{
            "push_id": p.id, "kind": p.kind, "reasons": p.reasons, "changes": p.changes,
            "policy": {"id": p.policy_id, "title": p.title, "doc_number": p.doc_number,
                       "version": p.version, "deadline": p.deadline.isoformat() if p.deadline
                       else None, "url": links.policy(p.policy_id)},
            "successor": {"id": p.successor_id, "title": p.successor_title,
                          "url": links.policy(p.successor_id)} if p.successor_id else None,
            "link": links.track(p),
        } for p in pushes],
        "links": {"unsubscribe": links.unsubscribe(), "firm_page": links.firm_page()},
    }
    return Outgoing(
        key=key, channel=channel, firm_id=links.firm_id, firm_name=firm.name,
        subject=_subject(pushes, digest), text=text, html=html, sms_text=f"{sms} {sms_link}",
        payload=payload, unsubscribe_url=links.unsubscribe(), push_ids=[row_key(p) for p in pushes],
        email=firm.contact_email, phone=firm.contact_phone, webhook_url=firm.webhook_url,
        webhook_secret=sub.webhook_secret if sub else None,
    )
