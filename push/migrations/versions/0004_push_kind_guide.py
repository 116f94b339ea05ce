"""push.kind admits GUIDE: the follow-up push when a guide is published after its policy.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 15:11:06.489577
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = "'NEW', 'REVISED', 'SUPERSEDED', 'REMINDER_14', 'REMINDER_3', 'APPLICATION'"


def upgrade() -> None:
    """Written by hand: autogenerate does not see an enum that gained a value."""
    _push_kinds(f"{KINDS}, 'GUIDE'")


def downgrade() -> None:
    """push.kind back to its six kinds (fails while guide pushes exist)."""
    _push_kinds(KINDS)


def _push_kinds(values: str) -> None:
    """Replace the CHECK on push.kind by one admitting ``values``."""
    with op.batch_alter_table("push", schema=None) as batch_op:
        batch_op.drop_constraint("ck_push_kind", type_="check")
        batch_op.create_check_constraint("ck_push_kind", f"kind IN ({values})")
