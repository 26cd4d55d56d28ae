"""report quotes: excerpts of a description or an answer, anonymised, approved by a person, for the yearly
report's Word draft (store/quotes.py)

Revision ID: 0014_report
Revises: 0010_web_indexes
Create Date: 2026-12-08 01:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0014_report'
down_revision = '0012_sessions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'report_quote',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_pk', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=20), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('created_by', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('approved_by', sa.String(length=200), nullable=True),
        sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['case_pk'], ['bus_case.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_report_quote_case_pk', 'report_quote', ['case_pk'])


def downgrade() -> None:
    op.drop_index('ix_report_quote_case_pk', table_name='report_quote')
    op.drop_table('report_quote')
