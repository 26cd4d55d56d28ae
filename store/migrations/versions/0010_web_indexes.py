"""web indexes: the review queue (/granska) newest first over only the mail a person must look at, and each
case's receivers by state (the case list's state, store/views_list.py)

ix_message_review is partial: its condition is store.review.review_sql word for word (SQLite uses a partial
index only for a query whose WHERE holds the index's condition term by term).

Revision ID: 0010_web_indexes
Revises: 0009_web_user
Create Date: 2026-12-06 15:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010_web_indexes'
down_revision = '0009_web_user'
branch_labels = None
depends_on = None

REVIEW_WHERE = ("(message.kind NOT IN ('dismissed', 'own')) AND (message.link_rule IS NULL OR message.link_rule != "
                "'opened_by_hand') AND (message.kind = 'other' OR coalesce(CAST(message.problems AS TEXT), '[]') "
                "NOT IN ('[]', 'null'))")


def upgrade() -> None:
    # the order of the queue: date DESC NULLS LAST, id DESC (SQLite sorts NULL lowest and takes no NULLS LAST)
    nulls_last = " NULLS LAST" if op.get_bind().dialect.name == "postgresql" else ""
    op.create_index('ix_message_review', 'message', [sa.text(f'date DESC{nulls_last}'), sa.text('id DESC')],
                    sqlite_where=sa.text(REVIEW_WHERE), postgresql_where=sa.text(REVIEW_WHERE))
    op.create_index('ix_case_receiver_case_state', 'case_receiver', ['case_pk', 'state'])


def downgrade() -> None:
    op.drop_index('ix_case_receiver_case_state', table_name='case_receiver')
    op.drop_index('ix_message_review', table_name='message')
