"""sessions: server-side web sessions, the login throttle's counts, SSO identities (tid + oid) and the access log

Revision ID: 0012_sessions
Revises: 0010_web_indexes
Create Date: 2026-12-08 00:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0012_sessions'
down_revision = '0011_answers'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'web_session',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('user_name', sa.String(length=200), nullable=False),
        sa.Column('sso', sa.Boolean(), nullable=False),
        sa.Column('groups', sa.Text(), nullable=False),
        sa.Column('stamp', sa.String(length=40), nullable=False),
        sa.Column('csrf', sa.String(length=64), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_web_session_user_name', 'web_session', ['user_name'])
    op.create_table(
        'login_attempt',
        sa.Column('key', sa.String(length=400), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )
    op.create_table(
        'sso_identity',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tid', sa.String(length=100), nullable=False),
        sa.Column('oid', sa.String(length=100), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('bound_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tid', 'oid', name='uq_sso_identity_tid_oid'),
        sa.UniqueConstraint('name'),
    )
    op.create_table(
        'access_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('who', sa.String(length=200), nullable=False),
        sa.Column('event', sa.String(length=30), nullable=False),
        sa.Column('target', sa.String(length=300), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_access_log_at', 'access_log', ['at'])
    # never edited: an UPDATE fails (rows may only be added, and culled by the retention rules)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN RAISE EXCEPTION 'access_log is append-only'; END $$")
        op.execute("CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log "
                   "FOR EACH ROW EXECUTE FUNCTION access_log_append_only()")
    else:
        op.execute("CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log "
                   "BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS access_log_no_update" + (" ON access_log" if op.get_bind().dialect.name
                                                                 == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS access_log_append_only()")
    op.drop_index('ix_access_log_at', table_name='access_log')
    op.drop_table('access_log')
    op.drop_table('sso_identity')
    op.drop_table('login_attempt')
    op.drop_index('ix_web_session_user_name', table_name='web_session')
    op.drop_table('web_session')
