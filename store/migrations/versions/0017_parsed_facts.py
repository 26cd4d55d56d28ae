"""parsed facts: the Word document a deviation's form was read from, kept when the mail is first parsed
(table form_file, content-addressed; message.form_filename / form_file_sha256), so that a reminder attaches it
without parsing the stored mail again.

Rows stored before this revision have form_filename NULL ("not looked for yet"): the pipeline fills them in
for the cases' source messages through the parser pool, within the budget (pipeline/facts.py, at the next
poll or reminder run); this migration parses nothing.

Revision ID: 0017_parsed_facts
Revises: 0010_web_indexes
Create Date: 2026-12-08 00:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0017_parsed_facts'
down_revision = '0015_retention'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('form_file',
                    sa.Column('sha256', sa.String(length=64), nullable=False),
                    sa.Column('size', sa.Integer(), nullable=False),
                    sa.Column('data', sa.LargeBinary(), nullable=False),
                    sa.PrimaryKeyConstraint('sha256'))
    # plain columns (no key to form_file): SQLite adds them without copying the table
    op.add_column('message', sa.Column('form_filename', sa.Text(), nullable=True))
    op.add_column('message', sa.Column('form_file_sha256', sa.String(length=64), nullable=True))


def downgrade() -> None:
    # plain ALTER TABLE … DROP COLUMN (SQLite >= 3.35 too): a batch copy would DROP TABLE message, which the
    # foreign keys of case_answer and others refuse once they hold rows
    op.execute('ALTER TABLE message DROP COLUMN form_file_sha256')
    op.execute('ALTER TABLE message DROP COLUMN form_filename')
    op.drop_table('form_file')
