"""message subjects: a hash index on PostgreSQL

A btree entry may not exceed ~2.7 kB: a message whose normalised subject is longer than that (1,000 CJK
characters do it) could not be inserted, and was kept only as an unparsed message. SQLite keeps its index.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 11:00:00
"""
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.drop_index('ix_message_norm_subject', table_name='message')
    op.create_index('ix_message_norm_subject', 'message', ['normalised_subject'], postgresql_using='hash')


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.drop_index('ix_message_norm_subject', table_name='message')
    op.create_index('ix_message_norm_subject', 'message', ['normalised_subject'])
