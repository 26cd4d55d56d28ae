"""Writes notify/templates/rapportmall.docx: the Word template the yearly report draft is built on.

The secretariat may restyle the template in Word instead (fonts, colours, heading styles, the cover): the draft
uses only the styles Title, Subtitle, Heading 1, Heading 2, Normal, Caption, List Bullet and Table Grid, and
writes into an empty body.  Run: python scripts/make_report_template.py [OUT]"""
from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.shared import Pt, RGBColor

OUT = Path(__file__).resolve().parents[1] / "notify" / "templates" / "rapportmall.docx"
BLUE = RGBColor(0x1F, 0x5F, 0x8B)


def main(out: Path = OUT) -> Path:
    doc = Document()
    styles = doc.styles
    styles["Normal"].font.name = "Calibri"
    styles["Normal"].font.size = Pt(11)
    for name, size in (("Title", 24), ("Heading 1", 16), ("Heading 2", 13)):
        styles[name].font.name = "Calibri"
        styles[name].font.size = Pt(size)
        styles[name].font.color.rgb = BLUE
    styles["Caption"].font.size = Pt(9)
    body = doc.element.body
    for child in list(body):
        if not child.tag.endswith("sectPr"):
            body.remove(child)
    doc.core_properties.title = "BUS-avvikelser"
    doc.core_properties.author = "BUS-sekretariatet"
    out.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(out))
    return out


if __name__ == "__main__":
    print(main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
