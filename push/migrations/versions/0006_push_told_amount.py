"""push.told_amount: whether a push named an amount the firm can expect (was a text prefix).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MET_PREFIX = "符合申兑指南"  # how a reason line named the amount before this column


def upgrade() -> None:
    """Add the column, then mark the pushes whose reasons named an amount, as catch-up read them."""
    with op.batch_alter_table('push', schema=None) as batch_op:
        batch_op.add_column(sa.Column('told_amount', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('push', schema=None) as batch_op:
        batch_op.alter_column('told_amount', server_default=None)
    # Read in Python: the JSON text escapes Chinese differently on each database.
    push = sa.table('push', sa.column('id', sa.Integer()), sa.column('reasons', sa.JSON()),
                    sa.column('told_amount', sa.Boolean()))
    conn = op.get_bind()
    told = [row.id for row in conn.execute(sa.select(push.c.id, push.c.reasons))
            if any(str(line).startswith(MET_PREFIX) for line in row.reasons or [])]
    for start in range(0, len(told), 500):
        conn.execute(push.update().where(push.c.id.in_(told[start:start + 500]))
                     .values(told_amount=True))


def downgrade() -> None:
    """Drop push.told_amount."""
    with op.batch_alter_table('push', schema=None) as batch_op:
        batch_op.drop_column('told_amount')
