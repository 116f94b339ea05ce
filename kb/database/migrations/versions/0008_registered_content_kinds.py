"""revision.kind: any registered content kind, stored as its lower-case name.

kb names only its own kinds (policy, interpretation, FAQ); other packages register theirs through
``policykb.content`` (push's 申兑指南), so the column loses its CHECK, which had to list every
package's kinds, and holds the kind as code names it (``guide``, not the enum member ``GUIDE``).
The kind is checked where a revision is started.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = sa.Enum('POLICY', 'INTERPRETATION', 'FAQ', name='contentkind', native_enum=False,
                 create_constraint=False)  # as 0001 made it: VARCHAR(14), its CHECK dropped here


def upgrade() -> None:
    """Drop the CHECK, widen the column, and store each kind as its name in code."""
    with op.batch_alter_table('revision', schema=None) as batch_op:
        batch_op.drop_constraint('ck_revision_kind', type_='check')
        batch_op.alter_column('kind', existing_type=BEFORE, existing_nullable=False,
                              type_=sqlmodel.sql.sqltypes.AutoString(length=32))
    op.execute("UPDATE revision SET kind = lower(kind)")


def downgrade() -> None:
    """Back to enum member names under a CHECK of the kinds this installation registers."""
    from kb import plugins
    from kb.models import ContentKind

    op.execute("UPDATE revision SET kind = upper(kind)")
    kinds = [k.value for k in ContentKind] + [m.KIND for m in plugins.load("content")]
    names = ", ".join(f"'{kind.upper()}'" for kind in kinds)
    with op.batch_alter_table('revision', schema=None) as batch_op:
        batch_op.alter_column('kind', existing_type=sqlmodel.sql.sqltypes.AutoString(length=32),
                              existing_nullable=False, type_=BEFORE)
        batch_op.create_check_constraint('ck_revision_kind', f"kind IN ({names})")
