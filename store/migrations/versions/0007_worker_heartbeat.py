"""worker_heartbeat: the worker's sign of life for `busavvik status`; mailbox_status.error_since

worker_heartbeat has one row per role ("leader"), written by the worker every minute; `status` says when it was
last active and whether that is stale. mailbox_status.error_since is when the current run of failed polls began
(cleared by a successful poll), for `status` and the digest ("could not be read since ...").

Revision ID: 0007_heartbeat
Revises: 0006
Create Date: 2026-12-02 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0007_heartbeat'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'worker_heartbeat',
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('host', sa.String(length=200), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('beat_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('interval_seconds', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint('role'),
    )
    with op.batch_alter_table('mailbox_status') as batch:
        batch.add_column(sa.Column('error_since', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('mailbox_status') as batch:
        batch.drop_column('error_since')
    op.drop_table('worker_heartbeat')
