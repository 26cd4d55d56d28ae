"""Fixture builder: the BUS deviation form as a .docx, in the shapes found in real mailboxes, and broken files.

    build_form(values, shape="controls", date_style="fulldate", placeholders_for_empty=True) -> bytes
    build_broken(kind) -> bytes

`values` keys are config.rules.FORM_FIELDS names; units_involved is a list of str; long fields may hold
"\\n" for several paragraphs; dates are datetime.date (a str is written as typed, for bad-date tests).
A missing or None value leaves the field empty (placeholder showing, unless placeholders_for_empty=False).
`labels` (optional) replaces label texts, e.g. {"Telefonnummer:": "Mobil:"} (every occurrence).
"""
from __future__ import annotations

import functools
import io
import struct
import zipfile
import zlib
from collections.abc import Mapping
from datetime import date
from xml.sax.saxutils import escape, quoteattr

SHAPES = ("controls", "tagged", "tables", "typed", "pasted")
DATE_STYLES = ("fulldate", "iso", "swedish")
BROKEN_KINDS = ("truncated", "encrypted", "macro", "legacy_doc", "zip_bomb", "not_a_form", "xxe")
TEXT_PLACEHOLDER = "Klicka här för att ange text."
DATE_PLACEHOLDER = "Klicka här för att ange datum."
_MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
           "november", "december")
_NS = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
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


def _t(text: str) -> str:
    return f'<w:t xml:space="preserve">{escape(text)}</w:t>'


def _run(text: str, bold: bool = False) -> str:
    """A run; "\\n" in the text becomes a line break."""
    props = "<w:rPr><w:b/></w:rPr>" if bold else ""
    pieces = [_t(part) for part in text.split("\n")]
    return f"<w:r>{props}{'<w:br/>'.join(pieces)}</w:r>"


def _p(inner: str, style: str = "") -> str:
    props = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    return f"<w:p>{props}{inner}</w:p>"


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


_SECT = ('<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1417" w:right="1417" w:bottom="1417" '
         'w:left="1417" w:header="708" w:footer="708" w:gutter="0"/></w:sectPr>')


def document_xml(body: str, prolog: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{prolog}'
            f"<w:document {_NS}><w:body>{body}{_SECT}</w:body></w:document>").encode("utf-8")


_STYLES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           f'<w:styles {_NS}>'
           '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>'
           + "".join(f'<w:style w:type="paragraph" w:styleId="Heading{n}"><w:name w:val="heading {n}"/>'
                     '<w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/>'
                     f'<w:pPr><w:keepNext/><w:outlineLvl w:val="{n - 1}"/></w:pPr>'
                     f'<w:rPr><w:b/><w:sz w:val="{34 - 4 * n}"/></w:rPr></w:style>' for n in (1, 2, 3))
           + '<w:style w:type="character" w:styleId="PlaceholderText"><w:name w:val="Placeholder Text"/>'
           '<w:rPr><w:color w:val="808080"/></w:rPr></w:style></w:styles>')
_MAIN_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_MACRO_TYPE = "application/vnd.ms-word.document.macroEnabled.main+xml"


def _content_types(main_type: str, extra: str = "") -> str:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f'<Default Extension="xml" ContentType="application/xml"/>{extra}'
            f'<Override PartName="/word/document.xml" ContentType="{main_type}"/>'
            '<Override PartName="/word/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/></Types>')


def _rels(items: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{items}'
            '</Relationships>')


_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"


def package(document: bytes, *, macro: bool = False) -> bytes:
    """A complete .docx (or .docm with macro=True) around a word/document.xml."""
    doc_rels = f'<Relationship Id="rId1" Type="{_REL}styles" Target="styles.xml"/>'
    extra = ""
    if macro:
        doc_rels += ('<Relationship Id="rId2" Type="http://schemas.microsoft.com/office/2006/relationships/'
                     'vbaProject" Target="vbaProject.bin"/>')
        extra = '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
    parts = {
        "[Content_Types].xml": _content_types(_MACRO_TYPE if macro else _MAIN_TYPE, extra),
        "_rels/.rels": _rels(f'<Relationship Id="rId1" Type="{_REL}officeDocument" Target="word/document.xml"/>'),
        "word/document.xml": document,
        "word/_rels/document.xml.rels": _rels(doc_rels),
        "word/styles.xml": _STYLES,
    }
    if macro:
        parts["word/vbaProject.bin"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + b"Attribute VB_Name"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def word_online(docx_bytes: bytes, main: str = "word/document2.xml") -> bytes:
    """The same .docx as Word Online saves it: the main part renamed, _rels/.rels and the content types to match."""
    source = zipfile.ZipFile(io.BytesIO(docx_bytes))
    buffer = io.BytesIO()
    stem = main.rsplit("/", 1)[1]
    with source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in source.infolist():
            data = source.read(info)
            name = info.filename
            if name == "word/document.xml":
                name = main
            elif name == "word/_rels/document.xml.rels":
                name = f"word/_rels/{stem}.rels"
            elif name in ("_rels/.rels", "[Content_Types].xml"):
                data = data.replace(b"/word/document.xml", f"/{main}".encode()).replace(
                    b'Target="word/document.xml"', f'Target="/{main}"'.encode())
            zf.writestr(name, data)
    return buffer.getvalue()


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
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _ole(stream_names: tuple[str, ...]) -> bytes:
    """A plausible compound file: OLE header, then a directory sector naming the streams (UTF-16LE)."""
    header = _OLE_MAGIC + b"\0" * 16 + b"\x3e\x00\x03\x00\xfe\xff\x09\x00\x06\x00" + b"\0" * 10
    header = header.ljust(512, b"\xff")
    entries = b""
    for name in ("Root Entry", *stream_names):
        encoded = name.encode("utf-16-le") + b"\0\0"
        entries += (encoded.ljust(64, b"\0") + len(encoded).to_bytes(2, "little")).ljust(128, b"\0")
    return header + entries.ljust(512 * 4, b"\0") + b"\x42" * 2048


def _deflated(data: bytes) -> tuple[bytes, int, int]:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(), zlib.crc32(data), len(data)


def _zeros_deflated(megabytes: int) -> tuple[bytes, int, int]:
    """`megabytes` MB of zeros as raw deflate, cheaply: after a full flush the compressor starts afresh,
    so every 1 MB chunk compresses to the same bytes; only the CRC is computed over all of it."""
    chunk = b"\0" * (1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    last = compressor.compress(chunk) + compressor.flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(megabytes):
        crc = zlib.crc32(chunk, crc)
    return first * (megabytes - 1) + last, crc, megabytes << 20


def _raw_zip(members: list[tuple[str, tuple[bytes, int, int]]]) -> bytes:
    """A zip written by hand from raw deflate streams (zipfile cannot take precompressed data)."""
    out, directory = io.BytesIO(), io.BytesIO()
    for name, (data, crc, size) in members:
        encoded, offset = name.encode(), out.tell()
        fields = struct.pack("<HHHHHIII", 20, 0, 8, 0, 0, crc, len(data), size)
        out.write(b"PK\x03\x04" + fields + struct.pack("<HH", len(encoded), 0) + encoded + data)
        directory.write(b"PK\x01\x02" + struct.pack("<H", 20) + fields
                        + struct.pack("<HHHHHII", len(encoded), 0, 0, 0, 0, 0, offset) + encoded)
    start, listing = out.tell(), directory.getvalue()
    out.write(listing + b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, len(members), len(members),
                                                     len(listing), start, 0))
    return out.getvalue()


def _zip_bomb() -> bytes:
    """A docx whose media member inflates to 200 MB of zeros (about 200 kB compressed)."""
    return _raw_zip([
        ("[Content_Types].xml", _deflated(_content_types(_MAIN_TYPE).encode())),
        ("word/document.xml", _deflated(document_xml(_p(_run("Hej"))))),
        ("word/media/image1.png", _zeros_deflated(200)),
    ])


_XXE_PROLOG = '<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'


def _xxe() -> bytes:
    text = _Writer(SAMPLE_VALUES, "controls", "fulldate", True, {}).body()
    body = text.replace(escape("Uteblivet deltagande vid SIP-möte"), "Uteblivet &xxe; deltagande", 1)
    body = body.replace(escape("Eva Exempel"), "&xxe;", 1)
    return package(document_xml(body, prolog=_XXE_PROLOG))


@functools.lru_cache(maxsize=None)
def build_broken(kind: str) -> bytes:
    """A broken or hostile attachment: see BROKEN_KINDS."""
    if kind == "truncated":
        whole = build_form(SAMPLE_VALUES)
        return whole[: len(whole) // 2]
    if kind == "encrypted":
        return _ole(("EncryptionInfo", "EncryptedPackage", "\x06DataSpaces"))
    if kind == "legacy_doc":
        return _ole(("WordDocument", "1Table", "\x05SummaryInformation"))
    if kind == "macro":
        return package(document_xml(_Writer(SAMPLE_VALUES, "controls", "fulldate", True, {}).body()), macro=True)
    if kind == "zip_bomb":
        return _zip_bomb()
    if kind == "not_a_form":
        body = "".join(_p(_run(text)) for text in (
            "Mötesanteckningar", "Närvarande: Eva, Olle", "Enhet: Skolan", "Nästa möte: 15 mars 2021"))
        return package(document_xml(body))
    if kind == "xxe":
        return _xxe()
    raise ValueError(f"unknown kind {kind!r}; known: {BROKEN_KINDS}")


@functools.lru_cache(maxsize=4)
def build_inflated(xml_mb: int) -> bytes:
    """The filled-in form followed by `xml_mb` MB of short paragraphs: a word/document.xml that deflates
    about 130:1, under the ratio and total-size guards (a small attachment that is huge when read)."""
    head = _Writer(SAMPLE_VALUES, "controls", "fulldate", True, {}).body()
    para = _p(_run("Rad {n} i bilagan."))
    count = (xml_mb << 20) // len(para.format(n=100000))
    filler = "".join(para.format(n=n // 11) for n in range(count))
    return package(document_xml(head + filler))
