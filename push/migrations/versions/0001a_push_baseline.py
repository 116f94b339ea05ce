"""push's baseline: its tables when migrations began (firms, subscriptions, pushes, digests,
applications, the holiday calendar), made after kb's baseline (0001) because they refer to policies,
departments and users.

Each table is made only where it is missing: a database an earlier release stamped at 0001 holds
them already, since kb's baseline made every package's tables until they moved to their packages.

Revision ID: 0001a
Revises: 0001
Create Date: 2026-12-08 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0001a'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """push's baseline tables, each unless it is there already."""
    made = set(sa.inspect(op.get_bind()).get_table_names())
    if 'calendarday' not in made:
        op.create_table('calendarday',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('workday', sa.Boolean(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.PrimaryKeyConstraint('day')
        )

    if 'firm' not in made:
        op.create_table('firm',
        sa.Column('industry_code', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column('employees', sa.Integer(), nullable=True),
        sa.Column('revenue', sa.Float(), nullable=True),
        sa.Column('assets', sa.Float(), nullable=True),
        sa.Column('region', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
        sa.Column('uscc', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('contact_name', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
        sa.Column('contact_email', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column('contact_phone', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
        sa.Column('webhook_url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column('qualifications', sa.JSON(), nullable=False),
        sa.Column('business_scope', sa.Text(), nullable=False),
        sa.Column('channels', sa.JSON(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id')
        )
        with op.batch_alter_table('firm', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_firm_industry_code'), ['industry_code'], unique=False)
            batch_op.create_index(batch_op.f('ix_firm_region'), ['region'], unique=False)
            batch_op.create_index(batch_op.f('ix_firm_uscc'), ['uscc'], unique=True)

    if 'channelstate' not in made:
        op.create_table('channelstate',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('firm_id', sa.Integer(), nullable=False),
        sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('consecutive_failures', sa.Integer(), nullable=False),
        sa.Column('suspended_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('suspended_reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('firm_id', 'channel')
        )
        with op.batch_alter_table('channelstate', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_channelstate_firm_id'), ['firm_id'], unique=False)

    if 'digest' not in made:
        op.create_table('digest',
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('firm_id', sa.Integer(), nullable=False),
        sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('status', sa.Enum('PENDING', 'DELIVERED', 'DEAD', 'HELD', 'CANCELLED', name='pushstatus', native_enum=False), nullable=False),
        sa.Column('due_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column('lease_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('delivered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slot', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('period', sa.Enum('IMMEDIATE', 'DAILY', 'WEEKLY', name='frequency', native_enum=False), nullable=False),
        sa.CheckConstraint("period IN ('IMMEDIATE', 'DAILY', 'WEEKLY')", name='ck_digest_period'),
        sa.CheckConstraint("status IN ('PENDING', 'DELIVERED', 'DEAD', 'HELD', 'CANCELLED')", name='ck_digest_status'),
        sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('firm_id', 'channel', 'slot')
        )
        with op.batch_alter_table('digest', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_digest_due_at'), ['due_at'], unique=False)
            batch_op.create_index(batch_op.f('ix_digest_firm_id'), ['firm_id'], unique=False)
            batch_op.create_index(batch_op.f('ix_digest_key'), ['key'], unique=True)
            batch_op.create_index(batch_op.f('ix_digest_status'), ['status'], unique=False)

    if 'inboxmessage' not in made:
        op.create_table('inboxmessage',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('firm_id', sa.Integer(), nullable=False),
        sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('push_ids', sa.JSON(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('read_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], ),
        sa.PrimaryKeyConstraint('id')
        )
        with op.batch_alter_table('inboxmessage', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_inboxmessage_firm_id'), ['firm_id'], unique=False)
            batch_op.create_index(batch_op.f('ix_inboxmessage_key'), ['key'], unique=True)

    if 'subscription' not in made:
        op.create_table('subscription',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('firm_id', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('themes', sa.JSON(), nullable=False),
        sa.Column('muted_themes', sa.JSON(), nullable=False),
        sa.Column('channels', sa.JSON(), nullable=False),
        sa.Column('frequency', sa.Enum('IMMEDIATE', 'DAILY', 'WEEKLY', name='frequency', native_enum=False), nullable=False),
        sa.Column('quiet_start', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
        sa.Column('quiet_end', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
        sa.Column('webhook_secret', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint("frequency IN ('IMMEDIATE', 'DAILY', 'WEEKLY')", name='ck_subscription_frequency'),
        sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], ),
        sa.PrimaryKeyConstraint('id')
        )
        with op.batch_alter_table('subscription', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_subscription_firm_id'), ['firm_id'], unique=True)

    if 'application' not in made:
        op.create_table('application',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ref', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('firm_id', sa.Integer(), nullable=False),
        sa.Column('policy_id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('node', sa.Enum('SUBMITTED', 'ACCEPTED', 'REVIEWING', 'PUBLICITY', 'APPROVED', 'PAID', 'RETURNED', 'REJECTED', name='node', native_enum=False), nullable=False),
        sa.Column('amount_requested', sa.Float(), nullable=True),
        sa.Column('amount_approved', sa.Float(), nullable=True),
        sa.Column('amount_paid', sa.Float(), nullable=True),
        sa.Column('paid_on', sa.Date(), nullable=True),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint("node IN ('SUBMITTED', 'ACCEPTED', 'REVIEWING', 'PUBLICITY', 'APPROVED', 'PAID', 'RETURNED', 'REJECTED')", name='ck_application_node'),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
        sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], ),
        sa.ForeignKeyConstraint(['policy_id'], ['policy.id'], ),
        sa.PrimaryKeyConstraint('id')
        )
        with op.batch_alter_table('application', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_application_department_id'), ['department_id'], unique=False)
            batch_op.create_index(batch_op.f('ix_application_firm_id'), ['firm_id'], unique=False)
            batch_op.create_index(batch_op.f('ix_application_node'), ['node'], unique=False)
            batch_op.create_index(batch_op.f('ix_application_policy_id'), ['policy_id'], unique=False)
            batch_op.create_index(batch_op.f('ix_application_ref'), ['ref'], unique=True)

    if 'firmpolicymark' not in made:
        op.create_table('firmpolicymark',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('firm_id', sa.Integer(), nullable=False),
        sa.Column('policy_id', sa.Integer(), nullable=False),
        sa.Column('mark', sa.Enum('APPLIED', 'NOT_APPLICABLE', name='mark', native_enum=False), nullable=False),
        sa.Column('marked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint("mark IN ('APPLIED', 'NOT_APPLICABLE')", name='ck_firmpolicymark_mark'),
        sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], ),
        sa.ForeignKeyConstraint(['policy_id'], ['policy.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('firm_id', 'policy_id')
        )
        with op.batch_alter_table('firmpolicymark', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_firmpolicymark_firm_id'), ['firm_id'], unique=False)
            batch_op.create_index(batch_op.f('ix_firmpolicymark_policy_id'), ['policy_id'], unique=False)

    if 'nodepromise' not in made:
        op.create_table('nodepromise',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('policy_id', sa.Integer(), nullable=True),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('node', sa.Enum('SUBMITTED', 'ACCEPTED', 'REVIEWING', 'PUBLICITY', 'APPROVED', 'PAID', 'RETURNED', 'REJECTED', name='node', native_enum=False), nullable=False),
        sa.Column('days', sa.Integer(), nullable=False),
        sa.CheckConstraint("node IN ('SUBMITTED', 'ACCEPTED', 'REVIEWING', 'PUBLICITY', 'APPROVED', 'PAID', 'RETURNED', 'REJECTED')", name='ck_nodepromise_node'),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
        sa.ForeignKeyConstraint(['policy_id'], ['policy.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('policy_id', 'department_id', 'node')
        )
        with op.batch_alter_table('nodepromise', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_nodepromise_department_id'), ['department_id'], unique=False)
            batch_op.create_index(batch_op.f('ix_nodepromise_policy_id'), ['policy_id'], unique=False)

    if 'push' not in made:
        op.create_table('push',
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('firm_id', sa.Integer(), nullable=False),
        sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('status', sa.Enum('PENDING', 'DELIVERED', 'DEAD', 'HELD', 'CANCELLED', name='pushstatus', native_enum=False), nullable=False),
        sa.Column('due_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column('lease_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('delivered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('policy_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('kind', sa.Enum('NEW', 'REVISED', 'SUPERSEDED', 'REMINDER_14', 'REMINDER_3', 'APPLICATION', name='pushkind', native_enum=False), nullable=False),
        sa.Column('title', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('doc_number', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('reasons', sa.JSON(), nullable=False),
        sa.Column('changes', sa.JSON(), nullable=False),
        sa.Column('themes', sa.JSON(), nullable=False),
        sa.Column('successor_id', sa.Integer(), nullable=True),
        sa.Column('successor_title', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('deadline', sa.Date(), nullable=True),
        sa.Column('digest_slot', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('digest_id', sa.Integer(), nullable=True),
        sa.Column('opened_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('clicked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.CheckConstraint("kind IN ('NEW', 'REVISED', 'SUPERSEDED', 'REMINDER_14', 'REMINDER_3', 'APPLICATION')", name='ck_push_kind'),
        sa.CheckConstraint("status IN ('PENDING', 'DELIVERED', 'DEAD', 'HELD', 'CANCELLED')", name='ck_push_status'),
        sa.ForeignKeyConstraint(['digest_id'], ['digest.id'], ),
        sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], ),
        sa.ForeignKeyConstraint(['policy_id'], ['policy.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('firm_id', 'policy_id', 'version', 'channel', 'kind')
        )
        with op.batch_alter_table('push', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_push_department_id'), ['department_id'], unique=False)
            batch_op.create_index(batch_op.f('ix_push_digest_id'), ['digest_id'], unique=False)
            batch_op.create_index(batch_op.f('ix_push_digest_slot'), ['digest_slot'], unique=False)
            batch_op.create_index(batch_op.f('ix_push_due_at'), ['due_at'], unique=False)
            batch_op.create_index(batch_op.f('ix_push_firm_id'), ['firm_id'], unique=False)
            batch_op.create_index(batch_op.f('ix_push_key'), ['key'], unique=True)
            batch_op.create_index(batch_op.f('ix_push_policy_id'), ['policy_id'], unique=False)
            batch_op.create_index(batch_op.f('ix_push_status'), ['status'], unique=False)

    if 'applicationmove' not in made:
        op.create_table('applicationmove',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('node', sa.Enum('SUBMITTED', 'ACCEPTED', 'REVIEWING', 'PUBLICITY', 'APPROVED', 'PAID', 'RETURNED', 'REJECTED', name='node', native_enum=False), nullable=False),
        sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('department', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('handler', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('know', sa.JSON(), nullable=False),
        sa.Column('promised_days', sa.Integer(), nullable=True),
        sa.Column('due', sa.Date(), nullable=True),
        sa.Column('amount', sa.Float(), nullable=True),
        sa.Column('paid_on', sa.Date(), nullable=True),
        sa.Column('supply_by', sa.Date(), nullable=True),
        sa.Column('correction', sa.Boolean(), nullable=False),
        sa.CheckConstraint("node IN ('SUBMITTED', 'ACCEPTED', 'REVIEWING', 'PUBLICITY', 'APPROVED', 'PAID', 'RETURNED', 'REJECTED')", name='ck_applicationmove_node'),
        sa.ForeignKeyConstraint(['application_id'], ['application.id'], ),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('application_id', 'seq')
        )
        with op.batch_alter_table('applicationmove', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_applicationmove_application_id'), ['application_id'], unique=False)
            batch_op.create_index(batch_op.f('ix_applicationmove_at'), ['at'], unique=False)


def downgrade() -> None:
    """Drop push's baseline tables."""
    with op.batch_alter_table('applicationmove', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_applicationmove_at'))
        batch_op.drop_index(batch_op.f('ix_applicationmove_application_id'))

    op.drop_table('applicationmove')

    with op.batch_alter_table('push', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_push_status'))
        batch_op.drop_index(batch_op.f('ix_push_policy_id'))
        batch_op.drop_index(batch_op.f('ix_push_key'))
        batch_op.drop_index(batch_op.f('ix_push_firm_id'))
        batch_op.drop_index(batch_op.f('ix_push_due_at'))
        batch_op.drop_index(batch_op.f('ix_push_digest_slot'))
        batch_op.drop_index(batch_op.f('ix_push_digest_id'))
        batch_op.drop_index(batch_op.f('ix_push_department_id'))

    op.drop_table('push')

    with op.batch_alter_table('nodepromise', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nodepromise_policy_id'))
        batch_op.drop_index(batch_op.f('ix_nodepromise_department_id'))

    op.drop_table('nodepromise')

    with op.batch_alter_table('firmpolicymark', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_firmpolicymark_policy_id'))
        batch_op.drop_index(batch_op.f('ix_firmpolicymark_firm_id'))

    op.drop_table('firmpolicymark')

    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_ref'))
        batch_op.drop_index(batch_op.f('ix_application_policy_id'))
        batch_op.drop_index(batch_op.f('ix_application_node'))
        batch_op.drop_index(batch_op.f('ix_application_firm_id'))
        batch_op.drop_index(batch_op.f('ix_application_department_id'))

    op.drop_table('application')

    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscription_firm_id'))

    op.drop_table('subscription')

    with op.batch_alter_table('inboxmessage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inboxmessage_key'))
        batch_op.drop_index(batch_op.f('ix_inboxmessage_firm_id'))

    op.drop_table('inboxmessage')

    with op.batch_alter_table('digest', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_digest_status'))
        batch_op.drop_index(batch_op.f('ix_digest_key'))
        batch_op.drop_index(batch_op.f('ix_digest_firm_id'))
        batch_op.drop_index(batch_op.f('ix_digest_due_at'))

    op.drop_table('digest')

    with op.batch_alter_table('channelstate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channelstate_firm_id'))

    op.drop_table('channelstate')

    with op.batch_alter_table('firm', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_firm_uscc'))
        batch_op.drop_index(batch_op.f('ix_firm_region'))
        batch_op.drop_index(batch_op.f('ix_firm_industry_code'))

    op.drop_table('firm')

    op.drop_table('calendarday')
