"""The quote bank: an excerpt of a description or an answer, anonymised with the register's names and the
case's names, approved by a person, placed in the Word draft under its theme and receiver."""
from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from docx import Document

from config.orgregister import load_register
from config.rules import default_rules
from notify.report import write_draft
from store.corrections import CorrectionError
from store.db import Database
from store.quotes import add_quote, approve, quotes
from tests.support.report import PNR, SIP, Spec, _case

TEXT = (f"BUP Farsta uteblev från SIP-mötet i Farsta. Anna Svensson på Socialtjänsten Farsta ringde "
        f"(pnr {PNR}, tel 070-123 45 67) utan svar. Stockholms stad har ingen plan.")


@pytest.fixture
def one_case(db: Database) -> Database:
    case = _case(2026, 1, datetime(2026, 3, 2, 9, tzinfo=UTC), Spec(1, "Socialtjänst", ["BUP"], [SIP]), False)
    case.form = {"description": TEXT, "reporter_unit": "Socialtjänsten Farsta", "units_involved":
                 ["Socialtjänsten Farsta", "BUP Farsta"], "reporter_contact_person": "Anna Svensson"}
    with db.session() as session:
        session.add(case)
    return db


def test_quote_is_anonymised_and_needs_approval(one_case: Database, tmp_path: Path) -> None:
    rules, register = default_rules(), load_register()
    with one_case.session() as session:
        q = add_quote(session, "bus-2026-0001", "BUP Farsta uteblev från SIP-mötet i Farsta. Anna Svensson på "
                      f"Socialtjänsten Farsta ringde (pnr {PNR}, tel 070-123 45 67)", "description", "sekr",
                      register, rules)
        text = q.text
    assert "Farsta" not in text and "Anna" not in text and "Svensson" not in text and PNR not in text
    assert "070" not in text
    assert text.startswith("[aktuell BUP] uteblev") and "[namn]" in text and "[aktuell socialtjänst]" in text
    with one_case.session() as session, pytest.raises(CorrectionError, match="finns inte i beskrivningen"):
        add_quote(session, "BUS-2026-0001", "något annat", "description", "sekr", register, rules)
    with one_case.session() as session:
        path = write_draft(session, "2026", tmp_path / "a.docx")
    assert "[aktuell BUP] uteblev" not in "\n".join(p.text for p in Document(str(path)).paragraphs)
    with one_case.session() as session:
        approve(session, quotes(session, year=2026)[0].id, "granskare")
    with one_case.session() as session:
        path = write_draft(session, "2026", tmp_path / "b.docx")
        assert quotes(session, year=2026, approved_only=True)[0].approved_by == "granskare"
    paragraphs = [p.text for p in Document(str(path)).paragraphs]
    sip = paragraphs.index("Samordnad individuell plan (SIP)", paragraphs.index("Teman i avvikelser"))
    assert any(p.startswith("”[aktuell BUP] uteblev") and "[BUS-2026-0001]" in p for p in paragraphs[sip:sip + 12])


def test_quote_pages(one_case: Database) -> None:
    from store import users
    from tests.support import web_support as ws

    rules = default_rules()
    with one_case.session() as session:        # the accounts only: the case is this module's own
        for role in users.ROLES:
            users.add_user(session, role, role, ws.PASSWORD)
    reader, _ = ws.logged_in(one_case, rules, "reader")
    assert reader.get("/arenden/BUS-2026-0001/citat").status_code == 403
    c, csrf = ws.logged_in(one_case, rules, "secretariat")
    assert 'href="/arenden/BUS-2026-0001/citat"' in c.get("/arenden/BUS-2026-0001").text
    r = c.post("/arenden/BUS-2026-0001/citat", data={"csrf": csrf, "source": "description",
                                                      "excerpt": "BUP Farsta uteblev från SIP-mötet"})
    assert r.status_code == 303 and "klart" in r.headers["location"]
    page = c.get("/arenden/BUS-2026-0001/citat").text
    assert "[aktuell BUP] uteblev från SIP-mötet" in page and "Ej godkänt" in page
    qid = int(re.search(r'/citat/(\d+)/godkann', page).group(1))  # type: ignore[union-attr]
    assert c.post(f"/citat/{qid}/godkann", data={"csrf": csrf, "case_id": "BUS-2026-0001", "text": ""}) \
        .status_code == 303
    assert "Godkänt av secretariat" in c.get("/arenden/BUS-2026-0001/citat").text
    assert c.post(f"/citat/{qid}/godkann", data={"case_id": "BUS-2026-0001"}).status_code == 403  # no CSRF
    doc = Document(io.BytesIO(c.get("/rapport/2026/utkast.docx").content))
    assert any("[aktuell BUP] uteblev från SIP-mötet" in p.text for p in doc.paragraphs)
