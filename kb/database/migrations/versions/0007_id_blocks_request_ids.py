"""idblock (ids reserved in blocks, for the batched question log); request ids on questions and pushes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 15:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create idblock and add the request_id columns (old rows have none)."""
    op.create_table(
        'idblock',
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('next_id', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )
    for table in ('questionlog', 'push'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('request_id', sqlmodel.sql.sqltypes.AutoString(length=64),
                                          nullable=True))


def downgrade() -> None:
    """Drop the request_id columns and idblock."""
    for table in ('push', 'questionlog'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('request_id')
    op.drop_table('idblock')
