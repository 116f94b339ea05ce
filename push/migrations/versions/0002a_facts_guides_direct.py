"""Firm facts, application guides and 免申即享 lists; a revision may now edit a guide.

Split from 0003 when migrations moved to their packages, and placed before it, so a database an
earlier release took to 0003 holds exactly what this and kb's 0003 make.

Revision ID: 0002a
Revises: 0002
Create Date: 2026-12-02 07:21:00.013649
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0002a'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """The tables of issues 15, 16 and 18; revision.kind admits GUIDE."""
    op.create_table('factdefinition',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('type', sa.Enum('NUMBER', 'BOOL', 'DATE', 'LIST', name='facttype', native_enum=False), nullable=False),
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint("type IN ('NUMBER', 'BOOL', 'DATE', 'LIST')", name='ck_factdefinition_type'),
    sa.PrimaryKeyConstraint('name')
    )

    op.create_table('firmfact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('file', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('imported_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('firm_id', 'name', 'year')
    )
    with op.batch_alter_table('firmfact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_firmfact_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_firmfact_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_firmfact_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_firmfact_year'), ['year'], unique=False)

    op.create_table('directlist',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('GENERATED', 'REVIEWED', 'PUBLISHED', 'RETURNED', name='liststatus', native_enum=False), nullable=False),
    sa.Column('firms', sa.Integer(), nullable=False),
    sa.Column('total', sa.Float(), nullable=False),
    sa.Column('diff', sa.JSON(), nullable=False),
    sa.Column('generated_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('generated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('reviewed_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('reviewed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('published_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('published_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('GENERATED', 'REVIEWED', 'PUBLISHED', 'RETURNED')", name='ck_directlist_status'),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['policy_id'], ['policy.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('directlist', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directlist_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_directlist_period'), ['period'], unique=False)
        batch_op.create_index(batch_op.f('ix_directlist_policy_id'), ['policy_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_directlist_status'), ['status'], unique=False)

    op.create_table('factdispute',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fact_id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('OPEN', 'RESOLVED', name='disputestatus', native_enum=False), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('resolved_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('OPEN', 'RESOLVED')", name='ck_factdispute_status'),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['fact_id'], ['firmfact.id'], ),
    sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('factdispute', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_factdispute_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_factdispute_fact_id'), ['fact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_factdispute_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_factdispute_status'), ['status'], unique=False)

    op.create_table('guide',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('mode', sa.Enum('DIRECT', 'FAST', 'ORDINARY', name='guidemode', native_enum=False), nullable=False),
    sa.Column('promised_days', sa.Integer(), nullable=True),
    sa.Column('beneficiaries', sa.Text(), nullable=False),
    sa.Column('materials', sa.JSON(), nullable=False),
    sa.Column('where', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('drafter', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('reviewer', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('publisher', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('published_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint("mode IN ('DIRECT', 'FAST', 'ORDINARY')", name='ck_guide_mode'),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['policy_id'], ['policy.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('guide', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_guide_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_guide_policy_id'), ['policy_id'], unique=True)

    op.create_table('directentry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('measure', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('amount', sa.Float(), nullable=False),
    sa.Column('formula', sa.Text(), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], ),
    sa.ForeignKeyConstraint(['list_id'], ['directlist.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('list_id', 'firm_id', 'measure')
    )
    with op.batch_alter_table('directentry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directentry_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_directentry_list_id'), ['list_id'], unique=False)

    op.create_table('directpayment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=False),
    sa.Column('measure', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('amount', sa.Float(), nullable=False),
    sa.Column('objection_until', sa.Date(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], ),
    sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], ),
    sa.ForeignKeyConstraint(['list_id'], ['directlist.id'], ),
    sa.ForeignKeyConstraint(['policy_id'], ['policy.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('policy_id', 'measure', 'period', 'firm_id')
    )
    with op.batch_alter_table('directpayment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directpayment_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_directpayment_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_directpayment_list_id'), ['list_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_directpayment_policy_id'), ['policy_id'], unique=False)

    # Written by hand: autogenerate does not see an enum that gained a value.
    _revision_kinds("'POLICY', 'INTERPRETATION', 'FAQ', 'GUIDE'")


def downgrade() -> None:
    """Drop them again; revision.kind back to kb's three kinds (fails while guide revisions exist)."""
    _revision_kinds("'POLICY', 'INTERPRETATION', 'FAQ'")
    with op.batch_alter_table('directpayment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_directpayment_policy_id'))
        batch_op.drop_index(batch_op.f('ix_directpayment_list_id'))
        batch_op.drop_index(batch_op.f('ix_directpayment_firm_id'))
        batch_op.drop_index(batch_op.f('ix_directpayment_application_id'))

    op.drop_table('directpayment')

    with op.batch_alter_table('directentry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_directentry_list_id'))
        batch_op.drop_index(batch_op.f('ix_directentry_firm_id'))

    op.drop_table('directentry')

    with op.batch_alter_table('guide', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_guide_policy_id'))
        batch_op.drop_index(batch_op.f('ix_guide_department_id'))

    op.drop_table('guide')

    with op.batch_alter_table('factdispute', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_factdispute_status'))
        batch_op.drop_index(batch_op.f('ix_factdispute_firm_id'))
        batch_op.drop_index(batch_op.f('ix_factdispute_fact_id'))
        batch_op.drop_index(batch_op.f('ix_factdispute_department_id'))

    op.drop_table('factdispute')

    with op.batch_alter_table('directlist', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_directlist_status'))
        batch_op.drop_index(batch_op.f('ix_directlist_policy_id'))
        batch_op.drop_index(batch_op.f('ix_directlist_period'))
        batch_op.drop_index(batch_op.f('ix_directlist_department_id'))

    op.drop_table('directlist')

    with op.batch_alter_table('firmfact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_firmfact_year'))
        batch_op.drop_index(batch_op.f('ix_firmfact_name'))
        batch_op.drop_index(batch_op.f('ix_firmfact_firm_id'))
        batch_op.drop_index(batch_op.f('ix_firmfact_department_id'))

    op.drop_table('firmfact')

    op.drop_table('factdefinition')


def _revision_kinds(values: str) -> None:
    """Replace the CHECK on revision.kind by one admitting ``values``."""
    with op.batch_alter_table("revision", schema=None) as batch_op:
        batch_op.drop_constraint("ck_revision_kind", type_="check")
        batch_op.create_check_constraint("ck_revision_kind", f"kind IN ({values})")
