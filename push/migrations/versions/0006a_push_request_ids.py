"""push.request_id: the request that made a push, for following one question through the logs.

Split from 0007 when migrations moved to their packages, and placed before it, so a database an
earlier release took to 0007 holds exactly what this and kb's 0007 make.

Revision ID: 0006a
Revises: 0006
Create Date: 2026-12-07 15:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0006a'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the column (old pushes have none)."""
    with op.batch_alter_table('push', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_id', sqlmodel.sql.sqltypes.AutoString(length=64),
                                      nullable=True))


def downgrade() -> None:
    """Drop it."""
    with op.batch_alter_table('push', schema=None) as batch_op:
        batch_op.drop_column('request_id')
