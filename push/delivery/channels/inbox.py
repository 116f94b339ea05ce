"""站内信: the message becomes a row on the firm page; the key makes it idempotent."""

from sqlalchemy.engine import Engine

from kb.database.db import insert_ignore, session_scope
from kb.models import utcnow
from push.delivery.channels.base import Channel, DeliveryResult, Outgoing
from push.delivery.models import InboxMessage


class InboxChannel(Channel):
    """Writes an ``InboxMessage`` in its own short transaction (insert-or-ignore on the key)."""

    name = "inbox"

    def __init__(self, *, engine: Engine) -> None:
        self.engine = engine

    def send(self, push: Outgoing) -> DeliveryResult:
        """Store the message; a key already stored counts as delivered (a re-send after a crash)."""
        row = {"key": push.key, "firm_id": push.firm_id, "subject": push.subject,
               "body": push.text, "push_ids": push.push_ids, "created_at": utcnow()}
        try:
            with session_scope(self.engine) as session:
                added = insert_ignore(session, InboxMessage, [row])
            return DeliveryResult(ok=True, detail="站内信已写入" if added else "站内信已存在")
        except Exception as exc:  # noqa: BLE001  (a locked database is worth a retry)
            return DeliveryResult(ok=False, detail=f"站内信写入失败：{exc}")
