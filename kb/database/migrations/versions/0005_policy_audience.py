"""policy.audience: whom a policy is for (firms that apply, 免申即享, or a work notice for staff).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Existing policies are taken to be for firms that apply (what every policy meant before);
    a county marks its work notices afterwards in the editor."""
    with op.batch_alter_table('policy', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'audience', sa.Enum('ENTERPRISE', 'AUTOMATIC', 'INTERNAL', native_enum=False,
                                create_constraint=False),
            nullable=False, server_default='ENTERPRISE'))
    with op.batch_alter_table('policy', schema=None) as batch_op:
        batch_op.alter_column('audience', server_default=None)
        batch_op.create_check_constraint(
            "ck_policy_audience", "audience IN ('ENTERPRISE', 'AUTOMATIC', 'INTERNAL')")


def downgrade() -> None:
    """Drop policy.audience."""
    with op.batch_alter_table('policy', schema=None) as batch_op:
        batch_op.drop_constraint("ck_policy_audience", type_="check")
        batch_op.drop_column('audience')
