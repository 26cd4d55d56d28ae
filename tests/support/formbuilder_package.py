"""The .docx package around the form (support/formbuilder.py): WordprocessingML primitives, document.xml, the zip."""
from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

_NS = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')


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
