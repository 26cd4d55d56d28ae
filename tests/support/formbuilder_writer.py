"""The BUS deviation form laid out in each shape (tests/support/formbuilder.py): the layout, the writer, build_form."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from xml.sax.saxutils import quoteattr

from tests.support.formbuilder_package import _p, _run, document_xml, package

SHAPES = ("controls", "tagged", "tables", "typed", "pasted")
DATE_STYLES = ("fulldate", "iso", "swedish")


TEXT_PLACEHOLDER = "Klicka här för att ange text."
DATE_PLACEHOLDER = "Klicka här för att ange datum."
_MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
           "november", "december")


_DATE_FIELDS = ("reported_date", "response_received_date")
# Long fields held in a block control (several paragraphs) in the form as issued.
_BLOCK_FIELDS = ("description", "proposed_action", "response_description", "response_improvements")

# The form, top to bottom: ("title"|"text"|"heading"|"subheading", text), ("long", field, label, instruction),
# ("units", field, label), ("contact", ((field, label), ...)).
LAYOUT: tuple[tuple[object, ...], ...] = (
    ("title", "AVVIKELSEBLANKETT FÖR BUS-SAMVERKAN"),
    ("text", "(senast reviderad 2019-02-07 av BUS-sekretariatet)"),
    ("subheading", "Hur gör man?"),
    ("text", "BUS-avvikelsen skickas till den/de verksamheter som är berörda av händelsen och för kännedom "
             "till BUS-sekretariatet."),
    ("text", "Tänk på att alltid skydda individens identitet, därför ska inte namn eller personnummer anges."),
    ("heading", "1. Vilken typ av händelse avser BUS-avvikelsen"),
    ("long", "event_type", None, None),
    ("heading", "2. Mellan vilka verksamheter har avvikelsen uppstått?"),
    ("text", "Ange samtliga berörda verksamheter som BUS-avvikelsen avser"),
    ("units", "units_involved", "Enhet:"),
    ("heading", "3. Beskrivning av händelsen från rapporterande verksamhet"),
    ("long", "description", "Händelsen:", "Beskriv i punktform situationen som avvikelsen gäller och hur "
                                          "rapporterande verksamhet uppfattat situationen."),
    ("long", "proposed_action", "Förslag till åtgärd:", None),
    ("long", "personal_data_contact", "Kontaktuppgifter till person vid rapporterande verksamhet som vid behov "
                                      "kan ge kompletterande uppgifter:",
     "Mottagande verksamhet kan behöva barnets personuppgifter för att kunna utreda ovan beskrivna händelse. "
     "Ange namn och telefonnummer till den som kan lämna ut dessa uppgifter."),
    ("subheading", "Kontaktuppgifter till rapporterande verksamhet"),
    ("contact", (("reported_date", "Datum för rapportering:"), ("reporter_unit", "Rapporterande enhet:"),
                 ("reporter_contact_person", "Kontaktperson:"), ("reporter_email", "E-post:"),
                 ("reporter_phone", "Telefonnummer:"))),
    ("subheading", "Ansvarig chef vid rapporterande verksamhet"),
    ("contact", (("reporter_manager_name", "Namn enhetschef:"), ("reporter_manager_unit", "Enhet:"),
                 ("reporter_manager_email", "E-post:"), ("reporter_manager_phone", "Telefonnummer:"))),
    ("text", "Avvikelsen skickas till chef/-er för den/de verksamheter som avvikelsen avser."),
    ("text", "En kopia skickas för kännedom till BUS-sekretariatet: BUS-avvikelser@storsthlm.se, och "
             "BUS-avvikelser.hsf@sll.se"),
    ("heading", "4. Beskrivning av händelsen från mottagande verksamhet"),
    ("long", "response_description", "Händelse:", "Beskriv i punktform situationen som avvikelsen avser och hur "
                                                  "den mottagande verksamheten uppfattat situationen."),
    ("long", "response_improvements", "Förbättringsåtgärder:", None),
    ("subheading", "Kontaktuppgifter till ansvarig chef för mottagande verksamhet"),
    ("contact", (("response_received_date", "Datum för mottagande:"), ("response_manager_name", "Namn enhetschef:"),
                 ("response_manager_unit", "Enhet:"), ("response_manager_email", "E-post:"),
                 ("response_manager_phone", "Telefonnummer:"))),
    ("text", "Svaret från mottagande verksamhet skickas till chef för rapportering verksamhet."),
    ("text", "BUS-sekretariatet tar även emot förbättringsförslag på blanketten. Senaste version av blanketten "
             "finns på Storsthlm.se."),
)
_PASTED_LABELS = {"Telefonnummer:": "Telefon:", "Datum för rapportering:": "Rapporteringsdatum:",
                  "E-post:": "E-post"}
# A locally edited template: labels nobody put in the rules; only the controls' tags tell what they are.
_TAGGED_LABELS = {"Telefonnummer:": "Tfn dagtid:", "E-post:": "E-postadress (jobb):"}


class _Writer:
    """Renders one form; knows the shape, date style and placeholder policy."""

    def __init__(self, values: Mapping[str, object], shape: str, date_style: str, placeholders: bool,
                 labels: Mapping[str, str]) -> None:
        if shape not in SHAPES:
            raise ValueError(f"unknown shape {shape!r}; known: {SHAPES}")
        if date_style not in DATE_STYLES:
            raise ValueError(f"unknown date style {date_style!r}; known: {DATE_STYLES}")
        self.values, self.shape, self.date_style, self.placeholders = values, shape, date_style, placeholders
        self.labels = dict(_PASTED_LABELS if shape == "pasted" else _TAGGED_LABELS if shape == "tagged" else {})
        self.labels.update(labels)
        self.controls = shape in ("controls", "tagged", "tables")
        self.next_id = 100

    def label(self, text: str) -> str:
        return self.labels.get(text, text)

    def value(self, name: str) -> str | None:
        raw = self.values.get(name)
        if raw is None or raw == "" or raw == []:
            return None
        if isinstance(raw, date):
            return self.date_text(raw)
        if isinstance(raw, (list, tuple)):
            return "\n".join(str(v) for v in raw)
        return str(raw)

    def date_text(self, value: date) -> str:
        if self.date_style == "swedish":
            return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"
        return value.isoformat()

    def sdt_props(self, name: str, label: str | None, empty: bool) -> str:
        self.next_id += 1
        props = []
        if self.shape == "tagged":
            alias = (label or name).rstrip(":")
            props.append(f"<w:alias w:val={quoteattr(alias)}/><w:tag w:val={quoteattr(name)}/>")
        props.append(f'<w:id w:val="{self.next_id}"/>')
        if empty and self.placeholders:
            props.append("<w:showingPlcHdr/>")
        raw = self.values.get(name)
        if name in _DATE_FIELDS:
            full = (f' w:fullDate="{raw.isoformat()}T00:00:00Z"'
                    if isinstance(raw, date) and self.date_style == "fulldate" else "")
            props.append(f'<w:date{full}><w:dateFormat w:val="yyyy-MM-dd"/><w:lid w:val="sv-SE"/>'
                         '<w:storeMappedDataAs w:val="dateTime"/><w:calendar w:val="gregorian"/></w:date>')
        else:
            props.append("<w:text w:multiLine=\"1\"/>" if name not in _BLOCK_FIELDS else "")
        return f"<w:sdtPr>{''.join(props)}</w:sdtPr>"

    def placeholder(self, name: str) -> str:
        return DATE_PLACEHOLDER if name in _DATE_FIELDS else TEXT_PLACEHOLDER

    def inline_control(self, name: str, label: str | None) -> str:
        text = self.value(name)
        content = _run(text) if text is not None else (
            _run(self.placeholder(name)) if self.placeholders else "")
        return f"<w:sdt>{self.sdt_props(name, label, text is None)}<w:sdtContent>{content}</w:sdtContent></w:sdt>"

    def block_control(self, name: str, label: str | None) -> str:
        text = self.value(name)
        if text is not None:
            paragraphs = "".join(_p(_run(line)) for line in text.split("\n"))
        else:
            paragraphs = _p(_run(self.placeholder(name)) if self.placeholders else "")
        return f"<w:sdt>{self.sdt_props(name, label, text is None)}<w:sdtContent>{paragraphs}</w:sdtContent></w:sdt>"

    def typed_value(self, name: str) -> str | None:
        text = self.value(name)
        if text is None and self.placeholders:
            return self.placeholder(name)
        return text

    def inline_text_control(self, name: str, label: str | None, text: str | None) -> str:
        content = _run(text) if text is not None else (_run(self.placeholder(name)) if self.placeholders else "")
        return f"<w:sdt>{self.sdt_props(name, label, text is None)}<w:sdtContent>{content}</w:sdtContent></w:sdt>"

    def heading(self, text: str, style: str) -> str:
        if self.shape == "pasted" and text[:1].isdigit():
            text = text.split(" ", 1)[1]
        return _p(_run(text), style)

    def long(self, name: str, label: str | None, instruction: str | None) -> str:
        out = [_p(_run(self.label(label), bold=True))] if label else []
        if instruction:
            out.append(_p(_run(instruction)))
        if self.controls:
            out.append(self.block_control(name, label) if name in _BLOCK_FIELDS
                       else _p(self.inline_control(name, label)))
        else:
            text = self.typed_value(name)
            out.extend(_p(_run(line)) for line in (text or "").split("\n") if line)
        return "".join(out)

    def units(self, name: str, label: str) -> str:
        raw = self.values.get(name) or []
        units = [str(u) for u in raw] if isinstance(raw, (list, tuple)) else [str(raw)]
        shown = self.label(label)
        if self.controls:
            return "".join(_p(_run(shown + " ", bold=True) + self.inline_text_control(name, label, unit))
                           for unit in (units or [None]))  # type: ignore[list-item]
        if self.shape == "typed":
            text = "; ".join(units) if units else (TEXT_PLACEHOLDER if self.placeholders else "")
            return _p(_run(shown + " ", bold=True) + _run(text))
        values = units or ([TEXT_PLACEHOLDER] if self.placeholders else [])
        return _p(_run(shown, bold=True)) + "".join(_p(_run(unit)) for unit in values)

    def contact_row(self, name: str, label: str) -> str:
        text = self.typed_value(name)
        if name in _DATE_FIELDS and self.date_style == "fulldate" and isinstance(self.values.get(name), date):
            value_cell = _p(self.inline_control(name, label))
        else:
            value_cell = _p(_run(text)) if text else _p("")
        cell = '<w:tc><w:tcPr><w:tcW w:w="{w}" w:type="dxa"/></w:tcPr>{body}</w:tc>'
        return (f"<w:tr>{cell.format(w=3500, body=_p(_run(self.label(label), bold=True)))}"
                f"{cell.format(w=5000, body=value_cell)}</w:tr>")

    def contact(self, pairs: tuple[tuple[str, str], ...]) -> str:
        if self.shape == "tables":
            rows = "".join(self.contact_row(name, label) for name, label in pairs)
            return ('<w:tbl><w:tblPr><w:tblW w:w="8500" w:type="dxa"/></w:tblPr><w:tblGrid>'
                    f'<w:gridCol w:w="3500"/><w:gridCol w:w="5000"/></w:tblGrid>{rows}</w:tbl>')
        out = []
        for name, label in pairs:
            shown = self.label(label)
            if self.controls:
                out.append(_p(_run(shown + " ", bold=True) + self.inline_control(name, label)))
            elif self.shape == "typed":
                separator = "\t" if name.startswith("response_") else " "
                out.append(_p(_run(shown, bold=True) + _run(separator) + _run(self.typed_value(name) or "")))
            else:
                text = self.typed_value(name)
                out.append(_p(_run(shown, bold=True)) + (_p(_run(text)) if text else ""))
        return "".join(out)

    def body(self) -> str:
        out: list[str] = []
        for item in LAYOUT:
            kind = item[0]
            if kind == "title":
                out.append(_p(_run(str(item[1])), "Heading1"))
            elif kind == "text":
                out.append(_p(_run(str(item[1]))))
            elif kind in ("heading", "subheading"):
                out.append(self.heading(str(item[1]), "Heading2" if kind == "heading" else "Heading3"))
            elif kind == "long":
                out.append(self.long(str(item[1]), item[2] and str(item[2]), item[3] and str(item[3])))
            elif kind == "units":
                out.append(self.units(str(item[1]), str(item[2])))
            elif kind == "contact":
                out.append(self.contact(item[1]))  # type: ignore[arg-type]
        return "".join(out)


def build_form(values: Mapping[str, object], *, shape: str = "controls", date_style: str = "fulldate",
               placeholders_for_empty: bool = True, labels: Mapping[str, str] | None = None) -> bytes:
    """The form filled with `values`, laid out in `shape` (see SHAPES), as .docx bytes."""
    writer = _Writer(values, shape, date_style, placeholders_for_empty, labels or {})
    return package(document_xml(writer.body()))


SAMPLE_VALUES: dict[str, object] = {
    "event_type": "Uteblivet deltagande vid SIP-möte",
    "units_involved": ["BUP Exempelmottagningen", "Exempelskolan, elevhälsan"],
    "description": "SIP-kallelse skickades fyra veckor före mötet\nBUP uteblev utan att meddela förhinder",
    "proposed_action": "Rutin för ersättare vid förhinder",
    "personal_data_contact": "Eva Exempel, 08-000 00 00",
    "reported_date": date(2021, 3, 15),
    "reporter_unit": "Exempelstads stadsdelsförvaltning, socialtjänsten",
    "reporter_contact_person": "Eva Exempel",
    "reporter_email": "eva.exempel@example.se",
    "reporter_phone": "08-000 00 00",
    "reporter_manager_name": "Olle Exempel",
    "reporter_manager_unit": "Exempelstads stadsdelsförvaltning",
    "reporter_manager_email": "olle.exempel@example.se",
    "reporter_manager_phone": "08-000 00 01",
}
