"""bounces: a receiver whose reminder bounced is "bounced" (studsade), with the server's reason (short,
redacted) and when (case_receiver.bounce_reason / bounced_at); see store/bounces.py.

Revision ID: 0019_bounces
Revises: 0017_parsed_facts
Create Date: 2026-12-08 01:50:00
"""
import sqlalchemy as sa
from alembic import op

from store.models import UTCDateTime

revision = '0019_bounces'
down_revision = '0018_search'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_receiver") as batch:
        batch.add_column(sa.Column("bounce_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("bounced_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_receiver") as batch:
        batch.drop_column("bounced_at")
        batch.drop_column("bounce_reason")
