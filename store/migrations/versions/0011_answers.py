"""answers: an answer is a `case_answer` row only; `bus_case.response` goes, answers by other routes come

* `case_answer.message_pk` may be NULL: an answer a receiver gave by telephone, at a meeting, in a mail only to
  the reporter or otherwise (`channel`), recorded by a person (`recorded_by`, `recorded_at`).
* Every stored `bus_case.response` is kept: the answer it names gets a `case_answer` row when it had none
  (migration 0008 made rows only for messages of kind answer, not for a deviation that came with section 4
  filled); a response whose message is no longer stored becomes an answer by another route ("other").
* The case-level outcome (`overrides.response_outcome`, or `response.outcome` of older stores) goes: it becomes
  the confirmed outcome of the case's first answer unless a person set that one already; a case without any
  answer keeps it on an answer by another route without receiver, noted as such.  Nothing set is lost.

Revision ID: 0011_answers
Revises: 0010_web_indexes
Create Date: 2026-12-08 00:30:00
"""
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from config.rules import Rules, default_rules
from parsers.outcome import suggest_outcome
from store.answers import attribute
from store.models import UTCDateTime

revision = '0011_answers'
down_revision = '0010_web_indexes'
branch_labels = None
depends_on = None

WHO = 'migrering'
NOTE = 'Utfall angivet för hela ärendet före migrering 0011 (inget svar fanns registrerat)'
# Keys `response_outcome` took before the outcomes were listed in the rules (store/fields.LEGACY_OUTCOME_KEYS).
LEGACY = {'löst': 'Löst genom kommunikationen', 'lost': 'Löst genom kommunikationen',
          'resolved': 'Löst genom kommunikationen', 'förbättringsförslag': 'Förbättringsförslag',
          'improvement': 'Förbättringsförslag', 'delvis löst': 'Delvis löst', 'delvis': 'Delvis löst',
          'partly': 'Delvis löst', 'ej löst': 'Ej löst', 'inte löst': 'Ej löst', 'not_resolved': 'Ej löst',
          'unresolved': 'Ej löst'}

CASE = sa.table('bus_case', sa.column('id', sa.Integer), sa.column('overrides', sa.JSON),
                sa.column('response', sa.JSON), sa.column('responded', sa.Boolean))
MESSAGE = sa.table('message', sa.column('id', sa.Integer), sa.column('message_id_header', sa.Text),
                   sa.column('sender', sa.String), sa.column('form', sa.JSON))
RECEIVER = sa.table('case_receiver', sa.column('case_pk', sa.Integer), sa.column('email', sa.String),
                    sa.column('unit', sa.Text))
ANSWER = sa.table(
    'case_answer', sa.column('id', sa.Integer), sa.column('case_pk', sa.Integer),
    sa.column('message_pk', sa.Integer), sa.column('receiver_email', sa.String),
    sa.column('attributed_by', sa.String), sa.column('description', sa.Text), sa.column('improvements', sa.Text),
    sa.column('received_date', sa.String), sa.column('manager', sa.JSON), sa.column('from_form', sa.Boolean),
    sa.column('outcome', sa.String), sa.column('outcome_source', sa.String), sa.column('outcome_rule', sa.String),
    sa.column('outcome_by', sa.String), sa.column('outcome_at', UTCDateTime()), sa.column('channel', sa.String),
    sa.column('recorded_by', sa.String), sa.column('recorded_at', UTCDateTime()))


def legacy_label(raw: Any, rules: Rules) -> str | None:
    """A case-level outcome as the rules label it; an unknown text is kept as it was typed (at most 100)."""
    text = ' '.join(str(raw or '').split())
    if not text:
        return None
    wanted = text.casefold()
    return (LEGACY.get(wanted) or next((label for label in rules.outcome_labels if wanted.startswith(
        label.casefold())), None) or text[:100])


def _response_row(bind: Any, case: Any, response: dict[str, Any], rules: Rules) -> dict[str, Any] | None:
    """The answer row a stored response stands for, when its message has none yet."""
    msg = bind.execute(sa.select(MESSAGE).where(MESSAGE.c.message_id_header == response.get('message_id'))).first()
    if msg is not None and bind.execute(sa.select(ANSWER.c.id).where(ANSWER.c.message_pk == msg.id)).first():
        return None
    receivers = [(r.email, r.unit) for r in bind.execute(sa.select(RECEIVER).where(RECEIVER.c.case_pk == case.id))]
    who = attribute(msg.sender if msg else None, msg.form if msg else None, receivers, rules.secretariat_addresses)
    found = suggest_outcome(response.get('description'), response.get('improvements'), rules)
    return {'case_pk': case.id, 'message_pk': msg.id if msg else None, 'receiver_email': who.email,
            'attributed_by': who.rule, 'description': response.get('description'),
            'improvements': response.get('improvements'), 'received_date': response.get('received_date'),
            'manager': dict(response.get('manager') or {}), 'from_form': bool(response.get('from_form')),
            'outcome': found[0] if found else None, 'outcome_rule': found[1] if found else None,
            'outcome_source': 'suggested' if found else None, 'outcome_by': None, 'outcome_at': None,
            'channel': 'mail' if msg else 'other', 'recorded_by': None if msg else WHO,
            'recorded_at': None if msg else datetime.now(UTC)}


def _keep_outcome(bind: Any, case: Any, label: str) -> None:
    first = bind.execute(sa.select(ANSWER).where(ANSWER.c.case_pk == case.id).order_by(ANSWER.c.id)).first()
    now = datetime.now(UTC)
    if first is None:
        bind.execute(sa.insert(ANSWER).values(
            case_pk=case.id, message_pk=None, receiver_email=None, attributed_by='manual', description=NOTE,
            improvements=None, received_date=None, manager={}, from_form=False, outcome=label, outcome_source='set',
            outcome_rule=None, outcome_by=WHO, outcome_at=now, channel='other', recorded_by=WHO, recorded_at=now))
    elif first.outcome_source != 'set':
        bind.execute(sa.update(ANSWER).where(ANSWER.c.id == first.id).values(
            outcome=label, outcome_source='set', outcome_rule=None, outcome_by=WHO, outcome_at=now))


def _move_answers(bind: Any, rules: Rules) -> None:
    for case in bind.execute(sa.select(CASE).order_by(CASE.c.id)).all():
        response = case.response if isinstance(case.response, dict) else None
        if response:
            row = _response_row(bind, case, response, rules)
            if row is not None:
                bind.execute(sa.insert(ANSWER).values(**row))
        overrides = dict(case.overrides or {})
        label = legacy_label(overrides.pop('response_outcome', None) or (response or {}).get('outcome'), rules)
        if label:
            _keep_outcome(bind, case, label)
        if overrides != (case.overrides or {}):
            bind.execute(sa.update(CASE).where(CASE.c.id == case.id).values(overrides=overrides))


def upgrade() -> None:
    with op.batch_alter_table('case_answer') as batch:
        batch.alter_column('message_pk', existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column('channel', sa.String(length=20), nullable=False, server_default='mail'))
        batch.add_column(sa.Column('recorded_by', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True))
    _move_answers(op.get_bind(), default_rules())
    # not in batch mode: on SQLite that re-creates bus_case, which the enforced foreign keys refuse to drop
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE bus_case DROP COLUMN response')
    else:
        op.drop_column('bus_case', 'response')


def downgrade() -> None:
    """The first mailed answer (the first with section 4 filled, if any) becomes the case's response again;
    answers by other routes go."""
    op.add_column('bus_case', sa.Column('response', sa.JSON(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.select(ANSWER, MESSAGE.c.message_id_header).join(MESSAGE, MESSAGE.c.id == ANSWER.c.message_pk)
                        .order_by(ANSWER.c.id)).all()
    first: dict[int, Any] = {}
    for r in rows:
        if r.case_pk not in first or (r.from_form and not first[r.case_pk].from_form):
            first[r.case_pk] = r
    for case_pk, r in first.items():
        response = {'message_id': r.message_id_header, 'description': r.description,
                    'improvements': r.improvements, 'received_date': r.received_date,
                    'manager': dict(r.manager or {}), 'from_form': bool(r.from_form)}
        bind.execute(sa.update(CASE).where(CASE.c.id == case_pk).values(response=response))
    bind.execute(sa.delete(ANSWER).where(ANSWER.c.message_pk.is_(None)))
    with op.batch_alter_table('case_answer') as batch:
        batch.drop_column('recorded_at')
        batch.drop_column('recorded_by')
        batch.drop_column('channel')
        batch.alter_column('message_pk', existing_type=sa.Integer(), nullable=False)
