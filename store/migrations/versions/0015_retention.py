"""retention: anonymised statistics per case, legal holds, culling records and what each owner culled

Revision ID: 0015_retention
Revises: 0010_web_indexes
Create Date: 2026-12-08 00:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0015_retention'
down_revision = '0014_report'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'case_statistics',
        sa.Column('case_pk', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('month', sa.Integer(), nullable=False),
        sa.Column('relation', sa.String(length=10), nullable=True),
        sa.Column('reporter', sa.Text(), nullable=False),
        sa.Column('reporter_principal', sa.String(length=20), nullable=True),
        sa.Column('receivers', sa.JSON(), nullable=False),
        sa.Column('themes', sa.JSON(), nullable=False),
        sa.Column('main_theme', sa.Text(), nullable=True),
        sa.Column('responded', sa.Boolean(), nullable=False),
        sa.Column('improvements', sa.Boolean(), nullable=False),
        sa.Column('outcome', sa.Text(), nullable=True),
        sa.Column('fully_answered', sa.Boolean(), nullable=False),
        sa.Column('answered_in_time', sa.Boolean(), nullable=False),
        sa.Column('answer_outcomes', sa.JSON(), nullable=False),
        sa.Column('area', sa.Text(), nullable=True),
        sa.Column('detail', sa.JSON(), nullable=False, server_default='{}'),
        sa.Column('frozen', sa.Boolean(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_pk'], ['bus_case.id']),
        sa.PrimaryKeyConstraint('case_pk'),
    )
    op.create_index('ix_case_statistics_year', 'case_statistics', ['year'])
    op.create_table(
        'case_hold',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_pk', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('held_by', sa.String(length=200), nullable=False),
        sa.Column('held_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('released_by', sa.String(length=200), nullable=True),
        sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['case_pk'], ['bus_case.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_case_hold_case_pk', 'case_hold', ['case_pk'])
    op.create_table(
        'culling_record',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('as_of', sa.Date(), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('mailbox', sa.String(length=200), nullable=False),
        sa.Column('decision', sa.Text(), nullable=False),
        sa.Column('who', sa.String(length=200), nullable=False),
        sa.Column('classes', sa.JSON(), nullable=False),
        sa.Column('counts', sa.JSON(), nullable=False),
        sa.Column('first_day', sa.Date(), nullable=True),
        sa.Column('last_day', sa.Date(), nullable=True),
        sa.Column('items', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'culled_item',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('mailbox', sa.String(length=200), nullable=False),
        sa.Column('cls', sa.String(length=20), nullable=False),
        sa.Column('item', sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(['record_id'], ['culling_record.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('mailbox', 'cls', 'item'),
    )
    op.create_index('ix_culled_item_record_id', 'culled_item', ['record_id'])


def downgrade() -> None:
    op.drop_index('ix_culled_item_record_id', table_name='culled_item')
    op.drop_table('culled_item')
    op.drop_table('culling_record')
    op.drop_index('ix_case_hold_case_pk', table_name='case_hold')
    op.drop_table('case_hold')
    op.drop_index('ix_case_statistics_year', table_name='case_statistics')
    op.drop_table('case_statistics')
