"""What the pages show: every case, a case's sections and thread, the review queue, the report; escaped and
without a personnummer."""
from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from config.rules import Rules
from parsers.pnr import find_count
from store import views_ops
from store.db import Database
from store.models import Case, Message
from store.review import needs_review, review_sql
from tests.support import web_support as ws


@pytest.fixture
def store(db: Database, rules: Rules) -> Database:
    ws.load(db, rules)
    return db


def test_alla_lists_every_case_id_of_the_store(store: Database, rules: Rules) -> None:
    c, _ = ws.logged_in(store, rules, "reader")
    with store.session() as s:
        ids = s.scalars(select(Case.case_id)).all()
    html = c.get("/arenden?alla=1").text
    assert len(ids) == 3 and all(f'href="/arenden/{i}"' in html for i in ids)


def test_alla_shows_more_than_one_page_of_cases(store: Database, rules: Rules, monkeypatch: pytest.MonkeyPatch
                                                ) -> None:
    from web import pages
    monkeypatch.setattr(pages, "PAGE_SIZE", 2)
    c, _ = ws.logged_in(store, rules, "reader")
    first = c.get("/arenden").text
    assert "sida 1 av 2" in first and len(re.findall(r'href="/arenden/BUS-', first)) == 2
    assert len(re.findall(r'href="/arenden/BUS-', c.get("/arenden?sida=2").text)) == 1
    assert len(re.findall(r'href="/arenden/BUS-', c.get("/arenden?alla=1").text)) == 3


@pytest.mark.parametrize(("query", "expected"), [
    ("q=remissen", {"BUS-2026-0003"}),
    ("q=bup+farsta", {"BUS-2026-0001"}),                 # units are searched
    ("status=answered", {"BUS-2026-0001"}),
    ("status=overdue", {"BUS-2026-0002", "BUS-2026-0003"}),
    ("org=BUMM", {"BUS-2026-0002"}),
    ("tema=SIP", {"BUS-2026-0001"}),
    ("relation=within", set()),
    ("ar=2025", set()),
    ("ar=2026&sort=received&ordning=fallande", {"BUS-2026-0001", "BUS-2026-0002", "BUS-2026-0003"}),
])
def test_the_case_list_filters(store: Database, rules: Rules, query: str, expected: set[str]) -> None:
    c, _ = ws.logged_in(store, rules, "reader")
    html = c.get(f"/arenden?{query}").text
    assert set(re.findall(r'href="/arenden/(BUS-\d{4}-\d{4})"', html)) == expected


def test_the_case_list_sorts(store: Database, rules: Rules) -> None:
    c, _ = ws.logged_in(store, rules, "reader")
    html = c.get("/arenden?sort=received&ordning=fallande").text
    assert re.findall(r'href="/arenden/(BUS-\d{4}-\d{4})"', html) == ["BUS-2026-0002", "BUS-2026-0003",
                                                                       "BUS-2026-0001"]


def test_the_case_page_shows_sections_answer_and_thread(store: Database, rules: Rules) -> None:
    c, _ = ws.logged_in(store, rules, "reader")
    html = c.get("/arenden/BUS-2026-0001").text
    for text in ("Uteblivet SIP-möte", "BUP uteblev från SIP-mötet utan att meddela förhinder", "BUP Farsta",
                 "Behandlaren var sjuk", "svarshuvuden (References)", "per.lind@sll.se",
                 "Avvikelseblankett BUS svar.docx", "besvarat"):
        assert text in html, text
    assert c.get("/arenden/bus-2026-0001").status_code == 200
    assert c.get("/arenden/BUS-2026-0999").status_code == 404


def test_hostile_form_text_is_escaped(store: Database, rules: Rules) -> None:
    c, _ = ws.logged_in(store, rules, "admin")
    for path in ("/arenden?alla=1", "/arenden/BUS-2026-0002"):
        html = c.get(path).text
        assert "<script>alert" not in html and "<b>fet</b>" not in html, path
        assert "&lt;script&gt;alert(" in html, path
    assert "&lt;b&gt;fet&lt;/b&gt; &amp; &#34;citat&#34;" in c.get("/arenden/BUS-2026-0002").text


def test_no_page_shows_a_personnummer(store: Database, rules: Rules) -> None:
    with store.session() as s:                           # the number is in the store …
        assert find_count(s.scalars(select(Case.form)).all()[1].description) == 1
        assert any(find_count(m) for m in s.scalars(select(Message.subject)))
    c, _ = ws.logged_in(store, rules, "admin")
    paths = ["/", "/arenden", "/arenden?alla=1", "/arenden?q=personnummer", "/granska", "/rapport/2026", "/drift",
             *(f"/arenden/BUS-2026-000{i}" for i in (1, 2, 3))]
    for path in paths:                                   # … and on no page
        html = c.get(path).text
        assert find_count(html) == 0 and "1212-1212" not in html, path
    assert "[personnummer]" in c.get("/arenden/BUS-2026-0002").text
    assert "[personnummer]" in c.get("/granska").text


def test_granska_lists_unlinked_mail_with_likely_cases(store: Database, rules: Rules) -> None:
    c, _ = ws.logged_in(store, rules, "reader")
    html = c.get("/granska").text
    assert "Nyhetsbrev juni" in html and "Angående vår avvikelse" in html
    assert "SV: BUS-avvikelse SIP" not in html            # linked mail without problems is not for review
    assert "Koppla" not in html                          # a reader gets no buttons
    s, _ = ws.logged_in(store, rules, "secretariat")
    assert html.count("<tr>") == s.get("/granska").text.count("<tr>") and "Koppla" in s.get("/granska").text


def test_granska_pages_the_queue_its_rule_in_sql_as_in_python(store: Database, rules: Rules) -> None:
    with store.session() as s:
        raw = s.scalars(select(Message.raw_sha256)).first()     # our own mail with a problem: never for review
        s.add(Message(message_id="own@x", message_id_header="<own@x>", raw_sha256=raw, subject="Påminnelse",
                      first_seen=datetime(2026, 6, 1, tzinfo=UTC), kind="own", problems=[{"code": "x"}]))
    with store.session() as s:
        expected = {m.id for m in s.scalars(select(Message)) if needs_review(m)}
        assert set(s.scalars(select(Message.id).where(review_sql()))) == expected and len(expected) >= 2
        pages = [views_ops.review_page(s, n, size=1) for n in range(1, len(expected) + 2)]
    assert {p.items[0].pk for p in pages} == expected and all(p.total == len(expected) for p in pages)
    assert pages[-1].page == pages[-1].pages == len(expected)          # past the last page: the last page
    c, _ = ws.logged_in(store, rules, "reader")
    assert f"({len(expected)})" in c.get("/granska?sida=2").text


def test_the_report_page_and_its_workbook(store: Database, rules: Rules) -> None:
    c, _ = ws.logged_in(store, rules, "reader")
    html = c.get("/rapport/2026").text
    assert "Årsrapport 2026" in html and "<table" in html and "/rapport/2026.xlsx" in html
    r = c.get("/rapport/2026.xlsx")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    assert load_workbook(io.BytesIO(r.content)).sheetnames
    assert 'src="/rapport/2026/diagram/teman.png"' in html
    chart = c.get("/rapport/2026/diagram/teman.png")
    assert chart.status_code == 200 and chart.content.startswith(b"\x89PNG")
    assert c.get("/rapport/2026/diagram/okand.png").status_code == 404


def test_the_overview_counts(store: Database, rules: Rules) -> None:
    c, _ = ws.logged_in(store, rules, "reader")
    html = c.get("/").text
    assert "<b>2</b> försenade svar" in html and "<b>2</b> mejl att granska" in html
    assert "<b>3</b> avvikelser 2026, varav 1 besvarade" in html


def test_the_overview_counts_what_granska_lists(store: Database, rules: Rules) -> None:
    """A linked mail with an unsettled problem is for review: the overview's count is /granska's total."""
    with store.session() as s:
        raw = s.scalars(select(Message.raw_sha256)).first()
        case_pk = s.scalars(select(Case.id)).first()
        s.add(Message(message_id="trasig@x", message_id_header="<trasig@x>", raw_sha256=raw, subject="Svar",
                      first_seen=datetime(2026, 6, 1, tzinfo=UTC), kind="answer", case_pk=case_pk,
                      problems=[{"code": "mail_malformed"}]))
    with store.session() as s:
        total = views_ops.review_page(s).total
    c, _ = ws.logged_in(store, rules, "reader")
    assert total == 3 and f"<b>{total}</b> mejl att granska" in c.get("/").text


def test_drift_shows_mailboxes_set_aside_mail_reminders_and_digests(store: Database, rules: Rules) -> None:
    from datetime import UTC, date, datetime

    from store.jsontypes import Recipients
    from store.models import DigestRun, MailboxStatus, Reminder, SetAsideMail
    at = datetime(2026, 5, 31, 8, 0, tzinfo=UTC)
    with store.session() as s:
        case_pk = s.scalars(select(Case.id).where(Case.case_id == "BUS-2026-0003")).one()
        s.add(MailboxStatus(mailbox="storsthlm", last_poll_at=at, last_success_at=at, error_count=2,
                            last_error="anslutningen bröts", fetched_total=6))
        s.add(SetAsideMail(mailbox="storsthlm", folder="INBOX", uidvalidity=7, uid=4711, code="refused",
                           reason="NO", summary=f"x@y.se · Ämne {ws.PNR}", first_at=at, last_tried_at=at))
        s.add(Reminder(case_pk=case_pk, step="first", status="failed", due_on=date(2026, 4, 1),
                       message_id="<r1@busavvik>", recipients=Recipients(("hab@sll.se",)), created_at=at,
                       last_error="550 mailbox unavailable"))
        s.add(DigestRun(scheduled_for=datetime.now(UTC), status="failed", attempts=3, last_error="SMTP nere",
                        updated_at=at))
    c, _ = ws.logged_in(store, rules, "admin")
    html = c.get("/drift").text
    for text in ("anslutningen bröts", "4711", "550 mailbox unavailable", "BUS-2026-0003", "SMTP nere",
                 "[personnummer]"):
        assert text in html, text
    assert find_count(html) == 0
    assert "<b>1</b>" not in html and "Påminnelser som misslyckats eller har okänt läge: 1" in c.get("/").text
