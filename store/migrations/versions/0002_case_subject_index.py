"""index cases by normalised subject

Without it the subject rule of every batch (store/link_batch_index.py) scanned every case, forms and all.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 10:20:00
"""
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_bus_case_norm_subject', 'bus_case', ['normalised_subject'], postgresql_using='hash')


def downgrade() -> None:
    op.drop_index('ix_bus_case_norm_subject', table_name='bus_case')
