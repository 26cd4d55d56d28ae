"""A corpus of realistic BUS mail with known expectations: every case the pipeline must get right.

`write_corpus(dir)` writes .eml files into dir/storsthlm and dir/hsf (a mail copied to both secretariat
addresses lands in both) and returns the expectations.  Also used to make the bundled demo sample.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from tests.support.formbuilder import build_broken, build_form
from tests.support.mailbuilder import SECRETARIAT, exchange_id, make_mail

STORSTHLM, HSF = SECRETARIAT


@dataclass
class Expect:
    case: str                          # our label for the deviation
    source: str                        # Message-ID of the deviation mail
    responded: bool
    reporter_org_type: str
    receiver_org_types: list[str]
    relation: str
    themes_include: str
    links: dict[str, tuple[str, str]] = field(default_factory=dict)  # message-id → (kind, rule)
    flags: list[str] = field(default_factory=list)
    response_description: str | None = None


def _t(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, 15, tzinfo=timezone.utc)


def _form(reporter: str, unit_rep: str, units: list[str], event: str, description: str, reported: date,
          **extra: Any) -> dict[str, Any]:
    first = reporter.split("@")[0].split(".")
    name = " ".join(p.capitalize() for p in first)
    values: dict[str, Any] = {
        "event_type": event, "units_involved": units, "description": description,
        "proposed_action": "Tydligare rutin för kallelser och ersättare", "reported_date": reported,
        "personal_data_contact": f"{name}, 08-123 456 78", "reporter_unit": unit_rep,
        "reporter_contact_person": name, "reporter_email": reporter, "reporter_phone": "08-123 456 78",
        "reporter_manager_name": "Chef " + name.split()[-1], "reporter_manager_unit": unit_rep,
        "reporter_manager_email": "chef." + reporter, "reporter_manager_phone": "08-123 456 00",
    }
    values.update(extra)
    return values


def _answer(values: dict[str, Any], text: str, manager: str, unit: str, when: date) -> dict[str, Any]:
    return {**values, "response_description": text, "response_improvements": "Ny rutin för ersättare",
            "response_received_date": when, "response_manager_name": manager.split("@")[0].replace(".", " ").title(),
            "response_manager_unit": unit, "response_manager_email": manager, "response_manager_phone": "08-555 000 00"}


class Corpus:
    def __init__(self) -> None:
        self.mails: list[tuple[str, bytes, tuple[str, ...]]] = []
        self.expect: list[Expect] = []
        self.others: list[str] = []

    def add(self, name: str, data: bytes, to_secretariat: tuple[str, ...] = (STORSTHLM, HSF)) -> None:
        self.mails.append((name, data, to_secretariat))

    def write(self, root: Path) -> None:
        for name, data, boxes in self.mails:
            for box in boxes:
                folder = root / ("storsthlm" if box == STORSTHLM else "hsf")
                folder.mkdir(parents=True, exist_ok=True)
                (folder / f"{name}.eml").write_bytes(data)


def deviation(c: Corpus, label: str, *, sender: str, receiver: str, values: dict[str, Any], when: datetime,
              shape: str = "controls", date_style: str = "fulldate", subject: str = "BUS-avvikelse",
              thread: bool = True) -> str:
    mid = exchange_id(label)
    form = build_form(values, shape=shape, date_style=date_style)
    c.add(f"{label}-1-deviation", make_mail(
        subject=subject, sender=sender, to=[receiver], cc=list(SECRETARIAT), when=when, message_id=mid,
        thread=f"{label}:{subject}" if thread else None, attachments=[("Avvikelseblankett BUS.docx", form)],
        body="Hej,\n\nBifogar en BUS-avvikelse. Vi ser fram emot ert svar.\n\nHälsningar"))
    return mid


def _answer_in_the_thread(c: Corpus) -> tuple[str, str]:
    # 1. Socialtjänst → BUP, SIP; answer in the thread with section 4 filled.
    v1 = _form("anna.berg@farsta.stockholm.se", "Farsta stadsdelsförvaltning, socialtjänsten",
               ["BUP Farsta"], "Uteblivet deltagande vid SIP-möte",
               "SIP-kallelse skickades fyra veckor före mötet\nBUP uteblev utan att meddela förhinder",
               date(2026, 1, 12))
    d1 = deviation(c, "d1", sender="anna.berg@farsta.stockholm.se", receiver="per.lind@sll.se", values=v1,
                   when=_t(1, 12))
    a1 = exchange_id("a1")
    c.add("d1-2-answer", make_mail(
        subject="SV: BUS-avvikelse", sender="per.lind@sll.se", to=["anna.berg@farsta.stockholm.se"],
        cc=list(SECRETARIAT), when=_t(2, 20), message_id=a1, in_reply_to=d1, references=[d1],
        thread="d1:BUS-avvikelse", thread_replies=1,
        attachments=[("Avvikelseblankett BUS svar.docx", build_form(_answer(
            v1, "Behandlaren var sjuk och ersättare hann inte utses", "per.lind@sll.se", "BUP Farsta",
            date(2026, 2, 18))))]))
    c.expect.append(Expect("d1", d1, True, "Socialtjänst", ["BUP"], "between", "SIP",
                           {a1: ("answer", "references")},
                           response_description="Behandlaren var sjuk och ersättare hann inte utses"))
    return d1, a1


def _answer_without_references(c: Corpus) -> None:
    # 2. BUP → Socialtjänst, tables; answer with References stripped but Thread-Index kept.
    v2 = _form("karin.sjo@sll.se", "BUP Globen", ["Socialtjänsten Enskede-Årsta-Vantör"],
               "Socialtjänsten uteblev från SIP", "Socialtjänsten kom inte till SIP-mötet", date(2026, 2, 2))
    d2 = deviation(c, "d2", sender="karin.sjo@sll.se", receiver="lars.ek@stockholm.se", values=v2,
                   when=_t(2, 2), shape="tables")
    a2 = exchange_id("a2")
    c.add("d2-2-answer", make_mail(
        subject="SV: BUS-avvikelse", sender="lars.ek@stockholm.se", to=["karin.sjo@sll.se"],
        cc=list(SECRETARIAT), when=_t(3, 10), message_id=a2, thread="d2:BUS-avvikelse", thread_replies=1,
        attachments=[("svar.docx", build_form(_answer(v2, "Handläggaren missade kallelsen",
                                                      "lars.ek@stockholm.se", "Socialtjänsten EÅV",
                                                      date(2026, 3, 9)), shape="tables"))]))
    c.expect.append(Expect("d2", d2, True, "BUP", ["Socialtjänst"], "between", "SIP",
                           {a2: ("answer", "thread_index")}, response_description="Handläggaren missade kallelsen"))


def _fresh_answer_with_the_form(c: Corpus) -> None:
    # 3. Skola → BUP, typed form, Swedish date; answer as a fresh mail carrying the filled form.
    v3 = _form("rektor.holm@hagaskolan.se", "Hagaskolan", ["BUP Kungsholmen"], "Remiss till BUP avvisades",
               "Remissen returnerades utan bedömning\nSkolan fick ingen motivering", date(2026, 3, 15))
    d3 = deviation(c, "d3", sender="rektor.holm@hagaskolan.se", receiver="eva.strom@sll.se", values=v3,
                   when=_t(3, 16), shape="typed", date_style="swedish", subject="Avvikelse remiss", thread=False)
    a3 = exchange_id("a3")
    c.add("d3-2-fresh-answer", make_mail(
        subject="Svar på avvikelse", sender="eva.strom@sll.se", to=["rektor.holm@hagaskolan.se"],
        cc=list(SECRETARIAT), when=_t(4, 20), message_id=a3,
        attachments=[("Avvikelse besvarad.docx", build_form(_answer(
            v3, "Remissen saknade underlag", "eva.strom@sll.se", "BUP Kungsholmen", date(2026, 4, 18)),
            shape="typed", date_style="swedish"))]))
    c.expect.append(Expect("d3", d3, True, "Skola", ["BUP"], "between", "Remisshantering",
                           {a3: ("answer", "form_content")}, response_description="Remissen saknade underlag"))


def _forwarded_answer(c: Corpus) -> None:
    # 4. Elevhälsa → Habilitering, tagged controls; answer as a forward (VB:) carrying the filled form.
    v4 = _form("skolskoterska.lund@nacka.se", "Elevhälsan Sickla skola", ["Habilitering Nacka"],
               "Bristande informationsöverföring", "Habiliteringen lämnade inte information inför skolstart",
               date(2026, 4, 7))
    d4 = deviation(c, "d4", sender="skolskoterska.lund@nacka.se", receiver="hab.chef@sll.se", values=v4,
                   when=_t(4, 7), shape="tagged")
    inner = make_mail(subject="BUS-avvikelse", sender="hab.chef@sll.se", to=["skolskoterska.lund@nacka.se"],
                      when=_t(5, 2), message_id=exchange_id("a4-inner"),
                      attachments=[("blankett.docx", build_form(_answer(
                          v4, "Informationen skickades till fel adress", "hab.chef@sll.se", "Habilitering Nacka",
                          date(2026, 5, 2)), shape="tagged"))])
    a4 = exchange_id("a4")
    c.add("d4-2-forward-answer", make_mail(
        subject="VB: BUS-avvikelse", sender="hab.chef@sll.se", to=list(SECRETARIAT), when=_t(5, 3),
        message_id=a4, body="Vidarebefordrar vårt svar för kännedom.", forwarded=inner))
    c.expect.append(Expect("d4", d4, True, "Elevhälsa", ["Habilitering"], "between", "Övrig",
                           {a4: ("answer", "form_content")},
                           response_description="Informationen skickades till fel adress"))


def _answer_in_the_body(c: Corpus) -> None:
    # 5. Socialtjänst → Skola (within kommun); answer in the mail body only.
    v5 = _form("maria.ny@huddinge.se", "Socialtjänsten Huddinge", ["Västra skolan Huddinge"],
               "Skolan deltog inte i SIP", "Skolan uteblev från planerat SIP-möte", date(2026, 5, 4))
    d5 = deviation(c, "d5", sender="maria.ny@huddinge.se", receiver="rektor.vast@huddinge.se", values=v5,
                   when=_t(5, 4))
    a5 = exchange_id("a5")
    c.add("d5-2-body-answer", make_mail(
        subject="RE: BUS-avvikelse", sender="rektor.vast@huddinge.se", to=["maria.ny@huddinge.se"],
        cc=list(SECRETARIAT), when=_t(5, 20), message_id=a5, in_reply_to=d5, references=[d5],
        body="Hej,\n\nVi har tagit del av avvikelsen. Rektor var sjuk och ingen ersättare utsågs. "
             "Vi har nu en rutin för ersättare.\n\nMvh Rektor\n\nFrån: Maria Ny\nSkickat: 4 maj\n> gammal text"))
    c.expect.append(Expect("d5", d5, True, "Socialtjänst", ["Skola"], "within", "SIP",
                           {a5: ("answer", "references")}))


def _follow_up_and_auto_reply(c: Corpus) -> None:
    # 6. BUP → Socialtjänst: follow-up from the reporter, an out-of-office; no answer → overdue.
    v6 = _form("olof.dahl@sll.se", "BUP Södertälje", ["Socialtjänsten Södertälje"],
               "Oklar ansvarsfördelning", "Oklart vems ansvar placeringen var", date(2026, 5, 18))
    d6 = deviation(c, "d6", sender="olof.dahl@sll.se", receiver="soc.chef@sodertalje.se", values=v6,
                   when=_t(5, 18))
    f6, o6 = exchange_id("f6"), exchange_id("o6")
    c.add("d6-2-auto-reply", make_mail(
        subject="Automatiskt svar: BUS-avvikelse", sender="soc.chef@sodertalje.se", to=["olof.dahl@sll.se"],
        when=_t(5, 18, 10), message_id=o6, in_reply_to=d6, references=[d6],
        extra_headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"},
        body="Jag är på semester till 1 juni."))
    c.add("d6-3-follow-up", make_mail(
        subject="SV: BUS-avvikelse", sender="olof.dahl@sll.se", to=["soc.chef@sodertalje.se"],
        cc=list(SECRETARIAT), when=_t(7, 1), message_id=f6, in_reply_to=d6, references=[d6],
        body="Påminner om avvikelsen nedan. Vi har inte fått något svar."))
    c.expect.append(Expect("d6", d6, False, "BUP", ["Socialtjänst"], "between", "Oklara gränser",
                           {o6: ("auto_reply", "references"), f6: ("follow_up", "references")}))


def _personnummer_in_the_form(c: Corpus) -> None:
    # 7. Personnummer in the description (the form forbids it): flagged, never printed.
    v7 = _form("sara.ek@botkyrka.se", "Socialtjänsten Botkyrka", ["BUMM Tumba", "BUP Tumba"],
               "Remiss försenad", "Barnet 120101-2380 fick vänta på remissvar i fyra månader", date(2026, 9, 1))
    d7 = deviation(c, "d7", sender="sara.ek@botkyrka.se", receiver="bumm.tumba@sll.se", values=v7,
                   when=_t(9, 1), shape="pasted")
    c.expect.append(Expect("d7", d7, False, "Socialtjänst", ["BUMM", "BUP"], "between", "Remisshantering",
                           flags=["personal_identity_number"]))


def _same_reporter_again(c: Corpus, d1: str, a1: str) -> None:
    # 8. The reporter of case 1 sends a second, different deviation with the same subject to the same
    #    receiver: a new case, not a follow-up of the first.
    v8 = _form("anna.berg@farsta.stockholm.se", "Farsta stadsdelsförvaltning, socialtjänsten",
               ["BUP Farsta"], "Uteblivet deltagande vid SIP-möte",
               "SIP-kallelse skickades tre veckor före mötet\nBUP kom inte och meddelade inget", date(2026, 10, 5))
    d8 = deviation(c, "d8", sender="anna.berg@farsta.stockholm.se", receiver="per.lind@sll.se", values=v8,
                   when=_t(10, 5))
    c.expect.append(Expect("d8", d8, False, "Socialtjänst", ["BUP"], "between", "SIP"))
    # ... and a third one sent as a reply in the thread of the first (same Outlook conversation): new case.
    v9 = _form("anna.berg@farsta.stockholm.se", "Farsta stadsdelsförvaltning, socialtjänsten",
               ["BUP Farsta"], "Remiss besvarades inte", "Remissen om neuropsykiatrisk utredning blev obesvarad "
               "i tre månader trots påminnelser", date(2026, 10, 19))
    d9 = exchange_id("d9")
    c.add("d9-1-deviation-in-old-thread", make_mail(
        subject="SV: BUS-avvikelse", sender="anna.berg@farsta.stockholm.se", to=["per.lind@sll.se"],
        cc=list(SECRETARIAT), when=_t(10, 19), message_id=d9, in_reply_to=a1, references=[d1, a1],
        thread="d1:BUS-avvikelse", thread_replies=2, attachments=[("Ny avvikelse.docx", build_form(v9))]))
    c.expect.append(Expect("d9", d9, False, "Socialtjänst", ["BUP"], "between", "Remisshantering"))


def _unreadable_and_no_deviation(c: Corpus) -> None:
    # 9. An unreadable attachment, and a mail that is no deviation at all.
    c.add("x1-unreadable", make_mail(subject="BUS-avvikelse", sender="ulf.berg@solna.se", to=list(SECRETARIAT),
                                     when=_t(6, 2), message_id=exchange_id("x1"),
                                     attachments=[("avvikelse.docx", build_broken("truncated"))]))
    c.add("x2-newsletter", make_mail(subject="Nyhetsbrev juni", sender="info@storsthlm.se", to=[STORSTHLM],
                                     when=_t(6, 3), message_id=exchange_id("x2"),
                                     body="Välkommen till sommarens konferens."), (STORSTHLM,))
    c.others = [exchange_id("x1"), exchange_id("x2")]


def build() -> Corpus:
    """Every scenario, in order (the order of the mails is part of the corpus)."""
    c = Corpus()
    d1, a1 = _answer_in_the_thread(c)
    _answer_without_references(c)
    _fresh_answer_with_the_form(c)
    _forwarded_answer(c)
    _answer_in_the_body(c)
    _follow_up_and_auto_reply(c)
    _personnummer_in_the_form(c)
    _same_reporter_again(c, d1, a1)
    _unreadable_and_no_deviation(c)
    return c


def write_corpus(root: Path) -> Corpus:
    corpus = build()
    corpus.write(root)
    return corpus


