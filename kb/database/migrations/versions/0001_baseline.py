"""Baseline: kb's tables when migrations began, and the audit log's append-only guards (push's
tables of the same baseline are push's revision 0001a, next in the one history).

Revision ID: 0001
Revises:
Create Date: 2026-12-02 05:40:13.955547
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from kb.database.migrations import audit_guards

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """kb's tables as the models stood, and the audit log's append-only guards."""
    op.create_table('department',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_department_name'), ['name'], unique=True)

    op.create_table('indexstate',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('loginattempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('client', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('loginattempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loginattempt_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_loginattempt_client'), ['client'], unique=False)
        batch_op.create_index(batch_op.f('ix_loginattempt_username'), ['username'], unique=False)

    op.create_table('policy',
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('doc_number', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('issuer', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('level', sa.Enum('NATIONAL', 'PROVINCE', 'CITY', 'COUNTY', name='level', native_enum=False), nullable=True),
    sa.Column('issue_date', sa.Date(), nullable=True),
    sa.Column('effective_from', sa.Date(), nullable=True),
    sa.Column('effective_to', sa.Date(), nullable=True),
    sa.Column('validity', sa.Enum('VALID', 'EXPIRED', 'REPEALED', 'REVISED', name='validity', native_enum=False), nullable=False),
    sa.Column('source_url', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('beneficiaries', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('conditions', sa.Text(), nullable=True),
    sa.Column('fulfil_time', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('apply_from', sa.Date(), nullable=True),
    sa.Column('apply_to', sa.Date(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_key', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('superseded_by_id', sa.Integer(), nullable=True),
    sa.Column('full_text', sa.Text(), nullable=False),
    sa.Column('source_text', sa.Text(), nullable=True),
    sa.Column('themes', sa.JSON(), nullable=False),
    sa.Column('industries_include', sa.JSON(), nullable=False),
    sa.Column('industries_exclude', sa.JSON(), nullable=False),
    sa.Column('sizes', sa.JSON(), nullable=False),
    sa.Column('regions', sa.JSON(), nullable=False),
    sa.Column('qualifications', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('DRAFT', 'SUBMITTED', 'RETURNED', 'APPROVED', 'PUBLISHED', 'WITHDRAWN', name='status', native_enum=False), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('drafter', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('reviewer', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('publisher', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint("level IN ('NATIONAL', 'PROVINCE', 'CITY', 'COUNTY')", name='ck_policy_level'),
    sa.CheckConstraint("status IN ('DRAFT', 'SUBMITTED', 'RETURNED', 'APPROVED', 'PUBLISHED', 'WITHDRAWN')", name='ck_policy_status'),
    sa.CheckConstraint("validity IN ('VALID', 'EXPIRED', 'REPEALED', 'REVISED')", name='ck_policy_validity'),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['superseded_by_id'], ['policy.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('policy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_policy_doc_number'), ['doc_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_policy_source_key'), ['source_key'], unique=True)

    op.create_table('user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('last_login_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_user_username'), ['username'], unique=True)

    op.create_table('auditentry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('record_kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('client', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('auditentry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auditentry_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_auditentry_at'), ['at'], unique=False)

    op.create_table('interpretation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('background', sa.Text(), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('measures', sa.Text(), nullable=False),
    sa.Column('sections', sa.JSON(), nullable=False),
    sa.Column('drafter', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('reviewer', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('publisher', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('status', sa.Enum('DRAFT', 'SUBMITTED', 'RETURNED', 'APPROVED', 'PUBLISHED', 'WITHDRAWN', name='status', native_enum=False), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('published_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint("status IN ('DRAFT', 'SUBMITTED', 'RETURNED', 'APPROVED', 'PUBLISHED', 'WITHDRAWN')", name='ck_interpretation_status'),
    sa.ForeignKeyConstraint(['policy_id'], ['policy.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('interpretation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interpretation_policy_id'), ['policy_id'], unique=False)

    op.create_table('ledgertopic',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('status', sa.Enum('OPEN', 'IN_PROGRESS', 'ANSWERED', 'CLOSED', name='topicstatus', native_enum=False), nullable=False),
    sa.Column('answer_kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('answer_id', sa.Integer(), nullable=True),
    sa.Column('answer_policy_id', sa.Integer(), nullable=True),
    sa.Column('question_count', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('first_asked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('last_asked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.CheckConstraint("status IN ('OPEN', 'IN_PROGRESS', 'ANSWERED', 'CLOSED')", name='ck_ledgertopic_status'),
    sa.ForeignKeyConstraint(['answer_policy_id'], ['policy.id'], ),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ledgertopic', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledgertopic_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledgertopic_status'), ['status'], unique=False)

    op.create_table('questionlog',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('asked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('client_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('answer_type', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=True),
    sa.Column('passage_id', sa.Integer(), nullable=True),
    sa.Column('hits', sa.JSON(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['policy_id'], ['policy.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('questionlog', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionlog_answer_type'), ['answer_type'], unique=False)
        batch_op.create_index(batch_op.f('ix_questionlog_asked_at'), ['asked_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_questionlog_channel'), ['channel'], unique=False)
        batch_op.create_index(batch_op.f('ix_questionlog_topic_id'), ['topic_id'], unique=False)

    op.create_table('usersession',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('csrf_token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('client', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('usersession', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_usersession_token_hash'), ['token_hash'], unique=True)
        batch_op.create_index(batch_op.f('ix_usersession_user_id'), ['user_id'], unique=False)

    op.create_table('faqitem',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=False),
    sa.Column('interpretation_id', sa.Integer(), nullable=True),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('DRAFT', 'SUBMITTED', 'RETURNED', 'APPROVED', 'PUBLISHED', 'WITHDRAWN', name='status', native_enum=False), nullable=False),
    sa.Column('drafter', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('reviewer', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('publisher', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('published_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.CheckConstraint("status IN ('DRAFT', 'SUBMITTED', 'RETURNED', 'APPROVED', 'PUBLISHED', 'WITHDRAWN')", name='ck_faqitem_status'),
    sa.ForeignKeyConstraint(['interpretation_id'], ['interpretation.id'], ),
    sa.ForeignKeyConstraint(['policy_id'], ['policy.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('faqitem', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_faqitem_policy_id'), ['policy_id'], unique=False)

    op.create_table('feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('helpful', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['questionlog.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_question_id'), ['question_id'], unique=False)

    op.create_table('revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('POLICY', 'INTERPRETATION', 'FAQ', name='contentkind', native_enum=False), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('policy_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('base', sa.JSON(), nullable=True),
    sa.Column('status', sa.Enum('DRAFT', 'SUBMITTED', 'RETURNED', 'APPROVED', 'PUBLISHED', 'WITHDRAWN', name='status', native_enum=False), nullable=False),
    sa.Column('base_version', sa.Integer(), nullable=True),
    sa.Column('drafter_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('publisher_id', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('history', sa.JSON(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('published_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.CheckConstraint("kind IN ('POLICY', 'INTERPRETATION', 'FAQ')", name='ck_revision_kind'),
    sa.CheckConstraint("status IN ('DRAFT', 'SUBMITTED', 'RETURNED', 'APPROVED', 'PUBLISHED', 'WITHDRAWN')", name='ck_revision_status'),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['drafter_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['policy_id'], ['policy.id'], ),
    sa.ForeignKeyConstraint(['publisher_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['reviewer_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['topic_id'], ['ledgertopic.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_revision_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_revision_policy_id'), ['policy_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_revision_status'), ['status'], unique=False)

    op.create_table('passage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=False),
    sa.Column('interpretation_id', sa.Integer(), nullable=True),
    sa.Column('faq_id', sa.Integer(), nullable=True),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('CLAUSE', 'BACKGROUND', 'PURPOSE', 'MEASURES', 'SECTION', 'FAQ', name='passagekind', native_enum=False), nullable=False),
    sa.Column('section', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('heading', sa.Text(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('start', sa.Integer(), nullable=False),
    sa.Column('end', sa.Integer(), nullable=False),
    sa.Column('meta', sa.JSON(), nullable=False),
    sa.CheckConstraint("kind IN ('CLAUSE', 'BACKGROUND', 'PURPOSE', 'MEASURES', 'SECTION', 'FAQ')", name='ck_passage_kind'),
    sa.ForeignKeyConstraint(['faq_id'], ['faqitem.id'], ),
    sa.ForeignKeyConstraint(['interpretation_id'], ['interpretation.id'], ),
    sa.ForeignKeyConstraint(['policy_id'], ['policy.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('policy_id', 'ordinal'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('passage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_passage_policy_id'), ['policy_id'], unique=False)

    op.create_table('policyversion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('summary', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=True),
    sa.Column('published_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('published_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['policy_id'], ['policy.id'], ),
    sa.ForeignKeyConstraint(['revision_id'], ['revision.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('policy_id', 'version')
    )
    with op.batch_alter_table('policyversion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policyversion_policy_id'), ['policy_id'], unique=False)

    audit_guards.install(op.get_bind())


def downgrade() -> None:
    """Drop everything the baseline made."""
    audit_guards.remove(op.get_bind())
    with op.batch_alter_table('policyversion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policyversion_policy_id'))

    op.drop_table('policyversion')
    with op.batch_alter_table('passage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_passage_policy_id'))

    op.drop_table('passage')
    with op.batch_alter_table('revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_revision_status'))
        batch_op.drop_index(batch_op.f('ix_revision_policy_id'))
        batch_op.drop_index(batch_op.f('ix_revision_department_id'))

    op.drop_table('revision')
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_question_id'))

    op.drop_table('feedback')
    with op.batch_alter_table('faqitem', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_faqitem_policy_id'))

    op.drop_table('faqitem')
    with op.batch_alter_table('usersession', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_usersession_user_id'))
        batch_op.drop_index(batch_op.f('ix_usersession_token_hash'))

    op.drop_table('usersession')
    with op.batch_alter_table('questionlog', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questionlog_topic_id'))
        batch_op.drop_index(batch_op.f('ix_questionlog_channel'))
        batch_op.drop_index(batch_op.f('ix_questionlog_asked_at'))
        batch_op.drop_index(batch_op.f('ix_questionlog_answer_type'))

    op.drop_table('questionlog')
    with op.batch_alter_table('ledgertopic', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledgertopic_status'))
        batch_op.drop_index(batch_op.f('ix_ledgertopic_department_id'))

    op.drop_table('ledgertopic')
    with op.batch_alter_table('interpretation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interpretation_policy_id'))

    op.drop_table('interpretation')
    with op.batch_alter_table('auditentry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auditentry_at'))
        batch_op.drop_index(batch_op.f('ix_auditentry_action'))

    op.drop_table('auditentry')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_username'))
        batch_op.drop_index(batch_op.f('ix_user_department_id'))

    op.drop_table('user')
    with op.batch_alter_table('policy', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_source_key'))
        batch_op.drop_index(batch_op.f('ix_policy_doc_number'))
        batch_op.drop_index(batch_op.f('ix_policy_department_id'))

    op.drop_table('policy')
    with op.batch_alter_table('loginattempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loginattempt_username'))
        batch_op.drop_index(batch_op.f('ix_loginattempt_client'))
        batch_op.drop_index(batch_op.f('ix_loginattempt_at'))

    op.drop_table('loginattempt')
    op.drop_table('indexstate')
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_department_name'))

    op.drop_table('department')
