"""case_receiver and case_answer: each receiver of a deviation (awaited, answered, not expected) and each answer
with its outcome; filled for stored cases from the receivers recorded when the case was opened (the original
To: minus the secretariat and the reporting side) and the messages linked as answers

The fill uses the same pure functions as linking (store/answers.py, parsers/outcome.py) with the shipped
rules; `busavvik reparse` suggests outcomes again with an admin's rules. A case's `response_outcome` set by a
person (an earlier, undocumented correction) becomes the confirmed outcome of its first answer.

Revision ID: 0008
Revises: 0007_heartbeat
Create Date: 2026-12-01 10:00:00
"""
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

from config.rules import Rules, default_rules
from parsers.outcome import suggest_outcome
from parsers.types import has_response
from store.answers import DOUBTFUL, PROBLEM, answer_fields, attribute, unit_for
from store.models import UTCDateTime

revision = '0008'
down_revision = '0007_heartbeat'
branch_labels = None
depends_on = None
STOCKHOLM = ZoneInfo("Europe/Stockholm")

CASE = sa.table('bus_case', sa.column('id', sa.Integer), sa.column('receivers', sa.JSON),
                sa.column('reporters', sa.JSON), sa.column('form', sa.JSON), sa.column('overrides', sa.JSON),
                sa.column('response', sa.JSON))
MESSAGE = sa.table('message', sa.column('id', sa.Integer), sa.column('case_pk', sa.Integer),
                   sa.column('kind', sa.String), sa.column('sender', sa.String), sa.column('sender_name', sa.Text),
                   sa.column('form', sa.JSON), sa.column('body_excerpt', sa.Text), sa.column('problems', sa.JSON),
                   sa.column('date', UTCDateTime()), sa.column('first_seen', UTCDateTime()),
                   sa.column('message_id_header', sa.Text))


def _tables() -> tuple[sa.Table, sa.Table]:
    receiver, answer = _receiver_table(), _answer_table()
    op.create_index('ix_case_receiver_case_pk', 'case_receiver', ['case_pk'])
    op.create_index('ix_case_answer_case_pk', 'case_answer', ['case_pk'])
    return receiver, answer


def _receiver_table() -> sa.Table:
    return op.create_table(
        'case_receiver',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_pk', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=320), nullable=False),
        sa.Column('unit', sa.Text(), nullable=True),
        sa.Column('state', sa.String(length=14), nullable=False),
        sa.Column('answer_message_pk', sa.Integer(), nullable=True),
        sa.Column('changed_by', sa.String(length=200), nullable=True),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['answer_message_pk'], ['message.id']),
        sa.ForeignKeyConstraint(['case_pk'], ['bus_case.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('case_pk', 'email'),
    )


def _answer_table() -> sa.Table:
    return op.create_table(
        'case_answer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_pk', sa.Integer(), nullable=False),
        sa.Column('message_pk', sa.Integer(), nullable=False),
        sa.Column('receiver_email', sa.String(length=320), nullable=True),
        sa.Column('attributed_by', sa.String(length=20), nullable=False),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('improvements', sa.Text(), nullable=True),
        sa.Column('received_date', sa.String(length=10), nullable=True),
        sa.Column('manager', sa.JSON(), nullable=False),
        sa.Column('from_form', sa.Boolean(), nullable=False),
        sa.Column('outcome', sa.String(length=100), nullable=True),
        sa.Column('outcome_source', sa.String(length=10), nullable=True),
        sa.Column('outcome_rule', sa.String(length=100), nullable=True),
        sa.Column('outcome_by', sa.String(length=200), nullable=True),
        sa.Column('outcome_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['case_pk'], ['bus_case.id']),
        sa.ForeignKeyConstraint(['message_pk'], ['message.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('message_pk'),
    )


def _legacy_outcome(case: Any, rules: Rules) -> str | None:
    raw = str((case.overrides or {}).get('response_outcome') or (case.response or {}).get('outcome') or '')
    wanted = raw.strip().casefold()
    return next((label for label in rules.outcome_labels if wanted and wanted.startswith(label.casefold())), None)


def _answer(case: Any, msg: Any, receivers: list[tuple[str, str | None]], rules: Rules) -> dict[str, Any]:
    when = msg.date or msg.first_seen
    fields = answer_fields(msg.form, msg.sender, msg.sender_name or None, msg.body_excerpt or '',
                           when.astimezone(STOCKHOLM).date().isoformat())
    who = attribute(msg.sender, msg.form, receivers, rules.secretariat_addresses)
    if who.rule == 'none':
        manager = str((msg.form or {}).get('response_manager_email') or '').lower() if has_response(msg.form) else ''
        email = next((e for e in (manager, (msg.sender or '').lower()) if e and not rules.is_secretariat(e)
                      and e not in (case.reporters or [])), None)
        if email:
            receivers.append((email, unit_for(email, (case.form or {}).get('units_involved') or [])))
            who = type(who)(email, 'added')
    found = suggest_outcome(fields['description'], fields['improvements'], rules)
    row = {'case_pk': case.id, 'message_pk': msg.id, 'receiver_email': who.email, 'attributed_by': who.rule,
           **fields, 'outcome': found[0] if found else None, 'outcome_rule': found[1] if found else None,
           'outcome_source': 'suggested' if found else None, 'outcome_by': None, 'outcome_at': None,
           '_when': when}
    if who.rule == DOUBTFUL:
        problems = [p for p in msg.problems or [] if p.get('code') != PROBLEM]
        problems.append({'code': PROBLEM, 'detail': 'svaret kunde inte knytas till en mottagare: '
                                                    + ', '.join(e for e, _ in receivers)})
        op.get_bind().execute(sa.update(MESSAGE).where(MESSAGE.c.id == msg.id).values(problems=problems))
    return row


def _fill_case(case: Any, answers: list[Any], rules: Rules) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    form = case.form or {}
    emails = list(dict.fromkeys(str(e).strip().lower() for e in case.receivers or [] if str(e).strip()))
    receivers: list[tuple[str, str | None]] = [
        (e, unit_for(e, form.get('units_involved') or [], form.get('reporter_unit'))) for e in emails]
    rows = [_answer(case, msg, receivers, rules) for msg in answers]
    legacy = _legacy_outcome(case, rules)
    first = next((r for r in rows if r['message_pk'] == (answers[0].id if answers else None)), None)
    if legacy and first is not None:
        first.update(outcome=legacy, outcome_source='set', outcome_rule=None, outcome_by='migrering',
                     outcome_at=datetime.now(UTC))
    out = []
    for email, unit in receivers:
        theirs = sorted((r for r in rows if r['receiver_email'] == email), key=lambda r: r['_when'])
        best = next((r for r in theirs if r['from_form']), theirs[0] if theirs else None)
        out.append({'case_pk': case.id, 'email': email, 'unit': unit,
                    'state': 'answered' if best else 'awaited', 'answer_message_pk': best['message_pk'] if best
                    else None, 'changed_by': None, 'changed_at': None})
    return out, [{k: v for k, v in r.items() if k != '_when'} for r in rows]


def upgrade() -> None:
    receiver, answer = _tables()
    bind, rules = op.get_bind(), default_rules()
    answers: dict[int, list[Any]] = {}
    q = (sa.select(MESSAGE).where(MESSAGE.c.kind == 'answer', MESSAGE.c.case_pk.is_not(None))
         .order_by(MESSAGE.c.date, MESSAGE.c.id))
    for msg in bind.execute(q):
        answers.setdefault(msg.case_pk, []).append(msg)
    for case in bind.execute(sa.select(CASE).order_by(CASE.c.id)).all():
        receivers, rows = _fill_case(case, answers.get(case.id, []), rules)
        if receivers:
            bind.execute(sa.insert(receiver), receivers)
        if rows:
            bind.execute(sa.insert(answer), rows)


def downgrade() -> None:
    op.drop_index('ix_case_answer_case_pk', 'case_answer')
    op.drop_index('ix_case_receiver_case_pk', 'case_receiver')
    op.drop_table('case_answer')
    op.drop_table('case_receiver')
