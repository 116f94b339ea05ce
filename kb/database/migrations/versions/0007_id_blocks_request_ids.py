"""idblock (ids reserved in blocks, for the batched question log); request ids on questions (the
pushes' request ids are push's 0006a, just before this one).

Revision ID: 0007
Revises: 0006a
Create Date: 2026-12-07 15:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create idblock and add questionlog.request_id (old rows have none)."""
    op.create_table(
        'idblock',
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('next_id', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )
    with op.batch_alter_table('questionlog', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_id', sqlmodel.sql.sqltypes.AutoString(length=64),
                                      nullable=True))


def downgrade() -> None:
    """Drop questionlog.request_id and idblock."""
    with op.batch_alter_table('questionlog', schema=None) as batch_op:
        batch_op.drop_column('request_id')
    op.drop_table('idblock')
