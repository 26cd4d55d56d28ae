"""bus_case.source_message_id: the foreign key to message, which 0001 never created on PostgreSQL

0001 declared it with use_alter=True inside create_table; Alembic then leaves it out of CREATE TABLE and
emits no ALTER TABLE for it, so on PostgreSQL nothing checked the column. SQLite had it inline all along
(SQLite cannot add a constraint to an existing table; this migration leaves SQLite as it is).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 17:00:00
"""
import logging

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None
NAME = 'fk_bus_case_source_message'
log = logging.getLogger('alembic.runtime.migration')


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        return
    dangling = sa.text('SELECT case_id FROM bus_case WHERE source_message_id IS NOT NULL AND NOT EXISTS '
                       '(SELECT 1 FROM message WHERE message.id = bus_case.source_message_id)')
    cases = [row[0] for row in bind.execute(dangling)]
    if cases:   # cannot happen through busavvik; cleared so that the constraint can be made, and said
        log.warning('bus_case.source_message_id pointed at no message in %d case(s), now cleared: %s',
                    len(cases), ', '.join(cases[:20]))
        op.execute('UPDATE bus_case SET source_message_id = NULL WHERE source_message_id IS NOT NULL AND NOT '
                   'EXISTS (SELECT 1 FROM message WHERE message.id = bus_case.source_message_id)')
    op.create_foreign_key(NAME, 'bus_case', 'message', ['source_message_id'], ['id'])


def downgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(NAME, 'bus_case', type_='foreignkey')
