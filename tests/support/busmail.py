"""Realistic BUS mail for the benchmarks and tests: ~50 kB messages, half deviation reports with a filled form.

    realistic_bus_messages(count, seed=11, size_kb=50) -> Iterator[bytes]

Reports carry a really filled-in form (tests/support/formbuilder.py, values and shape different in each); the other
half are answers quoting them and other BUS mail without a form. Signature images, PDF minutes and quoted
history make up the size. The same seed gives the same mail (the MIME boundaries aside: the email package
picks them at random).
"""
from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

KOMMUNER = ("Solna", "Sundbyberg", "Huddinge", "Botkyrka", "Järfälla", "Nacka", "Södertälje", "Täby",
            "Haninge", "Tyresö", "Sollentuna", "Upplands Väsby", "Värmdö", "Lidingö", "Danderyd", "Stockholm")
UNITS = ("BUP {k}", "Barn- och ungdomsmedicinska mottagningen {k}", "Socialtjänsten {k}, barn och unga",
         "Elevhälsan, {k} skola", "Mödra- och barnhälsovården {k}", "Maria Ungdom", "Habiliteringen {k}",
         "Ungdomsmottagningen {k}", "Förskoleförvaltningen {k}", "Vårdcentralen {k}")
EVENTS = ("Uteblivet deltagande vid SIP-möte", "Bristande informationsöverföring vid utskrivning",
          "Remiss avvisad utan kontakt med remittenten", "Orosanmälan ej bekräftad",
          "Lång väntetid på samordnad insats", "Överenskommen åtgärd ej genomförd",
          "Barnet skickades mellan verksamheter", "Samtycke inhämtades inte före kontakt",
          "Kallelse skickad till fel vårdnadshavare", "Uppföljningsmöte ställdes in utan ersättare")
FIRST = ("Eva", "Anna", "Maria", "Karin", "Sara", "Lena", "Johan", "Erik", "Lars", "Anders", "Fatima", "Ali",
         "Mohammed", "Sofia", "Elin", "Jonas", "Peter", "Ulla", "Ingrid", "Hanna")
LAST = ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson",
        "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Lindberg", "Lindqvist", "Berg", "Hassan")
SENTENCES = (
    "Vi har vid flera tillfällen försökt nå ansvarig handläggare utan att få återkoppling.",
    "Vårdnadshavarna har informerats om att en avvikelse skrivs och har inga invändningar.",
    "Ärendet har diskuterats på veckans teammöte och vi bedömer att samverkan brustit.",
    "Enligt BUS-överenskommelsen ska den verksamhet som först uppmärksammar behovet kalla till SIP.",
    "Eleven har haft hög frånvaro sedan höstterminens start och elevhälsan är orolig.",
    "Remissen skickades i början av månaden men har ännu inte bekräftats av mottagaren.",
    "Vi önskar att ansvarig chef återkommer med en skriftlig redogörelse inom fyra veckor.",
    "Mötet var inbokat sedan länge och kallelsen skickades i god tid till samtliga parter.",
    "Socialtjänsten har fattat beslut om insats men verkställigheten har dragit ut på tiden.",
    "Det är oklart vem som har samordningsansvaret efter att barnet bytt skola.",
    "BUP har gjort en första bedömning och rekommenderar fortsatt stöd i skolan.",
    "Vi ser gärna att rutinen för ersättare vid förhinder ses över gemensamt.",
    "Kontakt har tagits med vårdnadshavare som bekräftar bilden ovan.",
    "Handlingarna har skickats med säker e-post enligt gällande rutin.",
)
SIGNATURE = ("\n\nMed vänlig hälsning\n\n{name}\n{title}\n{unit}\nTelefon: 08-{a:03d} {b:02d} {c:02d}\n"
             "E-post: {email}\n\nBesöksadress: {street} {no}, {k}\n"
             "Tänk på miljön innan du skriver ut detta e-postmeddelande.\n"
             "När du skickar e-post till oss behandlar vi dina personuppgifter enligt dataskyddsförordningen. "
             "Läs mer på vår webbplats.\n")
TITLES = ("Enhetschef", "Verksamhetschef", "Kurator", "Skolsköterska", "Socialsekreterare", "Samordnare",
          "Avdelningschef", "Psykolog", "Biträdande rektor")
DOMAINS = ("{k}.se", "regionstockholm.se", "sll.se", "edu.{k}.se", "stockholm.se")


def _slug(text: str) -> str:
    table = str.maketrans("åäöéü ", "aaoeu-")
    return "".join(c for c in text.lower().translate(table) if c.isalnum() or c == "-")


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    unit: str
    title: str
    kommun: str

    @property
    def address(self) -> str:
        return f"{self.name} <{self.email}>"


def _person(rng: random.Random) -> Person:
    first, last, kommun = rng.choice(FIRST), rng.choice(LAST), rng.choice(KOMMUNER)
    domain = rng.choice(DOMAINS).format(k=_slug(kommun))
    return Person(f"{first} {last}", f"{_slug(first)}.{_slug(last)}@{domain}",
                  rng.choice(UNITS).format(k=kommun), rng.choice(TITLES), kommun)


def _paragraphs(rng: random.Random, size: int) -> str:
    out, total = [], 0
    while total < size:
        para = " ".join(rng.choice(SENTENCES) for _ in range(rng.randint(2, 6)))
        out.append(para)
        total += len(para.encode()) + 2
    return "\n\n".join(out)


def _signature(rng: random.Random, p: Person) -> str:
    return SIGNATURE.format(name=p.name, title=p.title, unit=p.unit, email=p.email, k=p.kommun,
                            a=rng.randint(100, 999), b=rng.randint(0, 99), c=rng.randint(0, 99),
                            street=rng.choice(("Storgatan", "Skolvägen", "Sjukhusbacken", "Kommunalvägen")),
                            no=rng.randint(1, 80))


def _png(rng: random.Random, size: int) -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + rng.randbytes(size)


def _pdf(rng: random.Random, size: int) -> bytes:
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nstream\n" + rng.randbytes(size)


def _with_extras(data: bytes, extras: list[tuple[str, str, str, bytes]]) -> bytes:
    """`make_mail`'s bytes with non-Word attachments added: (maintype, subtype, filename, data)."""
    if not extras:
        return data
    msg = message_from_bytes(data, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    for maintype, subtype, filename, payload in extras:
        msg.add_attachment(payload, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(msg)


def _form_values(rng: random.Random, i: int, reporter: Person, manager: Person, receiver: Person,
                 when: datetime) -> dict[str, object]:
    """Sections 1-3 of a report of its own; section 4 (the answer) left empty, as a reporter sends it."""
    units = sorted({receiver.unit, rng.choice(UNITS).format(k=rng.choice(KOMMUNER))})
    values: dict[str, object] = {
        "event_type": f"{rng.choice(EVENTS)} ({reporter.kommun}, ärende {i})",
        "units_involved": units,
        "description": "\n".join([f"- {when:%d/%m} kontaktade {reporter.unit} {receiver.unit} angående "
                                   f"ett barn ({rng.randint(2, 17)} år), ärende {i}.",
                                   *(f"- {s}" for s in rng.sample(SENTENCES, rng.randint(2, 5)))]),
        "proposed_action": rng.choice(SENTENCES),
        "personal_data_contact": f"{reporter.name}, 08-{rng.randint(100, 999)} {rng.randint(10, 99)} 00",
        "reported_date": when.date(),
        "reporter_unit": reporter.unit,
        "reporter_contact_person": reporter.name,
        "reporter_email": reporter.email,
        "reporter_phone": f"08-{rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
        "reporter_manager_name": manager.name,
        "reporter_manager_unit": manager.unit,
        "reporter_manager_email": manager.email,
        "reporter_manager_phone": f"08-{rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
    }
    return values


def _message_id(i: int) -> str:
    return f"<bench-{i:07d}.{i * 7919 % 100003:05x}@busavvik.bench>"


def realistic_bus_messages(count: int, seed: int = 11, size_kb: int = 50) -> Iterator[bytes]:
    """`count` messages averaging ~size_kb kB, oldest first. Even numbers: a deviation report with a filled-in
    form of its own; odd numbers: an answer to the report before it (two of three) or other BUS mail, no form.
    """
    rng = random.Random(seed)
    start = datetime(2025, 1, 7, 7, 30, tzinfo=UTC)
    reports: dict[int, tuple[str, Person, Person, str]] = {}
    target = size_kb * 1024
    for i in range(count):
        when = start + timedelta(minutes=13 * i + rng.randint(0, 12))
        extras: list[tuple[str, str, str, bytes]] = []
        if i % 2 == 0:
            data = _report_mail(rng, i, when, target, extras, reports)
        elif (i // 2) % 3 != 2 and (i - 1) in reports:
            data = _answer_mail(rng, i, when, target, extras, reports)
        else:
            data = _other_mail(rng, i, when, target, extras)
        yield _with_extras(data, extras).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


Extras = list[tuple[str, str, str, bytes]]


def _report_mail(rng: random.Random, i: int, when: datetime, target: int, extras: Extras,
                 reports: dict[int, tuple[str, Person, Person, str]]) -> bytes:
    """A deviation report with its own filled-in form; remembered in `reports` for the answer."""
    from tests.support.formbuilder import SHAPES, build_form
    from tests.support.mailbuilder import SECRETARIAT, make_mail
    reporter, manager, receiver = _person(rng), _person(rng), _person(rng)
    values = _form_values(rng, i, reporter, manager, receiver, when)
    form = build_form(values, shape=SHAPES[(i // 2) % len(SHAPES)],
                      date_style=rng.choice(("fulldate", "iso", "swedish")))
    subject = rng.choice(("BUS-avvikelse", "Avvikelse BUS", "BUS avvikelse", "Ny BUS-avvikelse")) + \
        f" {reporter.kommun} {i}"
    body = (f"Hej {receiver.name.split()[0]},\n\nBifogar en BUS-avvikelse gällande "
            f"{str(values['event_type']).lower()}.\n\n" + _paragraphs(rng, rng.randint(1500, 6000))
            + _signature(rng, reporter))
    extras.append(("image", "png", "image001.png", _png(rng, rng.randint(6000, 14000))))
    padding = target - len(form) * 4 // 3 - len(body) - 16000
    if padding > 2000:
        extras.append(("application", "pdf", f"Underlag {i}.pdf", _pdf(rng, padding * 3 // 4)))
    data = make_mail(subject=subject, sender=reporter.address, to=[receiver.address],
                     cc=[manager.address, *SECRETARIAT], when=when, body=body, message_id=_message_id(i),
                     thread=subject, attachments=[(f"Avvikelseblankett BUS {i}.docx", form)])
    reports[i] = (subject, reporter, receiver, body)
    return data


def _answer_mail(rng: random.Random, i: int, when: datetime, target: int, extras: Extras,
                 reports: dict[int, tuple[str, Person, Person, str]]) -> bytes:
    """The receiver's answer to report i - 1, quoting it."""
    from tests.support.mailbuilder import SECRETARIAT, make_mail
    subject, reporter, receiver, original = reports.pop(i - 1)
    quoted = "\n".join("> " + line for line in original.splitlines())
    body = (f"Hej {reporter.name.split()[0]},\n\nTack för avvikelsen. "
            + _paragraphs(rng, rng.randint(800, 4000)) + _signature(rng, receiver)
            + f"\n\nFrån: {reporter.address}\nSkickat: {when:%Y-%m-%d %H:%M}\nÄmne: {subject}\n\n"
            + quoted)
    extras.append(("image", "png", "image001.png", _png(rng, rng.randint(6000, 14000))))
    padding = target - len(body) - 15000
    if padding > 2000:
        extras.append(("application", "pdf", "Svar på BUS-avvikelse.pdf", _pdf(rng, padding * 3 // 4)))
    return make_mail(subject=f"SV: {subject}", sender=receiver.address, to=[reporter.address],
                     cc=list(SECRETARIAT), when=when, body=body, message_id=_message_id(i),
                     in_reply_to=_message_id(i - 1), references=[_message_id(i - 1)], thread=subject,
                     thread_replies=1)


def _other_mail(rng: random.Random, i: int, when: datetime, target: int, extras: Extras) -> bytes:
    """Other BUS mail to the secretariat: no form."""
    from tests.support.mailbuilder import SECRETARIAT, make_mail
    sender = _person(rng)
    subject = rng.choice(("Kallelse till BUS-nätverksmöte", "Protokoll från samverkansmöte",
                          "Fråga om rutin för SIP", "Uppdaterad kontaktlista BUS", "Inbjudan: BUS-dagen",
                          "Sv: Fråga om avvikelseblanketten"))
    body = (f"Hej alla,\n\n{_paragraphs(rng, rng.randint(2000, 12000))}" + _signature(rng, sender))
    extras.append(("image", "png", "image001.png", _png(rng, rng.randint(6000, 14000))))
    padding = target - len(body) - 14000
    if padding > 2000:
        extras.append(("application", "pdf", f"{subject}.pdf", _pdf(rng, padding * 3 // 4)))
    return make_mail(subject=f"{subject} {i}", sender=sender.address, to=list(SECRETARIAT), when=when,
                     body=body, message_id=_message_id(i))
