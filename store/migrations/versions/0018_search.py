"""search: the cases' full-text index (store/search.py), one row per case of its redacted, accent-folded text.

SQLite: an FTS5 virtual table.  PostgreSQL: a table with a tsvector column (Swedish configuration plus
'simple', so that every word also matches by its plain prefix) and a GIN index.  The rows are filled lazily
at the first search (store/search._backfill) and kept current when a session that changed a case commits.

Revision ID: 0018_search
Revises: 0017_parsed_facts
Create Date: 2026-12-08 01:50:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0018_search'
down_revision = '0017_parsed_facts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_table('case_search',
                        sa.Column('case_pk', sa.Integer(), nullable=False),
                        sa.Column('body', sa.Text(), nullable=False),
                        sa.Column('doc', postgresql.TSVECTOR(), nullable=False),
                        sa.PrimaryKeyConstraint('case_pk'))
        op.create_index('ix_case_search_doc', 'case_search', ['doc'], postgresql_using='gin')
    else:
        # the rowid is the case's pk (bus_case.id)
        op.execute("CREATE VIRTUAL TABLE case_search USING fts5(body, tokenize = 'unicode61 remove_diacritics 2')")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index('ix_case_search_doc', table_name='case_search')
    op.execute("DROP TABLE case_search")
