"""The yearly report drafted as Word (busavvik report --docx): the 2021 report's structure, real headings and
tables, charts embedded, every number equal to the .xlsx and to the appendix's case lists, themes summing to n;
converted to PDF by LibreOffice (integration)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import typer
from docx import Document
from typer.testing import CliRunner

from busavvik.commands import report as cli_report
from config.orgregister import load_register
from config.rules import default_rules
from notify.report import report_data, write_draft, write_report
from notify.report_figures import expected, figures, kommun_lines, parse_period
from store.db import Database
from tests.support.report import filled, sheet_rows  # noqa: F401 - fixture


def _app(db: Database) -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _ctx(ctx: typer.Context) -> None:
        ctx.obj = SimpleNamespace(db=db, rules=default_rules(), register=load_register())

    cli_report.register(app)
    return app


def _draft(db: Database, tmp_path: Path, *args: str) -> tuple[Path, str]:
    out = tmp_path / "utkast.docx"
    result = CliRunner().invoke(_app(db), ["report", "--docx", str(out), "--out", str(tmp_path / "r.xlsx"), *args])
    assert result.exit_code == 0, result.output
    return out, result.output


def _text(path: Path) -> str:
    doc = Document(str(path))
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_draft_structure_and_numbers(filled: Database, tmp_path: Path) -> None:
    path, output = _draft(filled, tmp_path, "--year", "2021")
    assert "skrev" in output and "utkastet tog" in output
    doc = Document(str(path))
    h1 = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert h1[:4] == ["Innehåll", "Bakgrund och syfte", "Inkomna avvikelser 2021", "Geografisk fördelning av "
                      "avvikelser 2021"]
    assert {"Teman i avvikelser", "Svar på avvikelser", "Förslag på åtgärder", "Avslutande reflektion",
            "Bilaga: ärenden bakom siffrorna"} <= set(h1)
    h2 = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    assert "Avvikelser till BUP" in h2 and "Avvikelser till Skola" not in h2   # 3 < 6: not described
    assert 'TOC \\o "1-2"' in doc.element.xml
    captions = [p.text for p in doc.paragraphs if p.style.name == "Caption" and p.text.startswith("Tabell ")]
    assert captions[0] == "Tabell 1. Inkomna avvikelser mellan huvudmän och inom huvudman"
    assert [int(re.match(r"Tabell (\d+)", c).group(1)) for c in captions] == list(range(1, len(captions) + 1))  # type: ignore[union-attr]
    assert len(doc.tables) == len(captions) and len(doc.inline_shapes) >= 3
    text = _text(path)
    assert "Under 2021 inkom totalt 127 avvikelser. Av dessa var 18 inom samma huvudman och 106 mellan huvudmän." \
        in text
    assert "[Reflektion:" in text and "[Citat:" in text
    assert "Hemligtext" not in text and "811228-9874" not in text   # no free text of a deviation


def test_every_number_equals_xlsx_and_appendix(filled: Database, tmp_path: Path) -> None:
    with filled.session() as session:
        data = report_data(session, 2021)
    s = data.stats
    figs = figures(s, data.rows)
    want = expected(s)
    got = {(f.section, f.label): f.value for f in figs}
    assert got == want                                  # every figure = its case list
    assert s.themes_total == s.between == sum(f.value for f in figs if f.section == "Teman (huvudtema)")
    xlsx = tmp_path / "r.xlsx"
    write_report(s, xlsx)
    themes = sheet_rows(xlsx, "Teman")
    with filled.session() as session:
        path = write_draft(session, "2021", tmp_path / "u.docx")
    doc = Document(str(path))
    theme_doc = next(t for t in doc.tables if t.rows[0].cells[0].text == "Temaområde (huvudtema)")
    for row in theme_doc.rows[1:]:
        label, value = row.cells[0].text, row.cells[1].text
        if label in themes and value.isdigit():
            assert int(value) == themes[label][0], label
    text = _text(path)
    for f in figs:                                      # the appendix lists each figure with its cases
        assert f"{f.label}: {f.value} st. — {', '.join(f.case_ids) or 'inga'}" in text
    assert f"Totalt har {s.answered_between} av 106 avvikelser mellan huvudmän besvarats" in text


def test_half_year_and_kommun(filled: Database, tmp_path: Path) -> None:
    path, output = _draft(filled, tmp_path, "--period", "2021H1", "--kommun", "Stockholm")
    assert "totalt 66" in output and "period: första halvåret 2021" in output   # months 1–6: 11 each
    text = _text(path)
    assert "Under första halvåret 2021 inkom totalt 66 avvikelser." in text
    assert "Utdrag per kommun" in text
    assert parse_period("2026H2").months == range(7, 13)
    with pytest.raises(ValueError):
        parse_period("2026Q1")
    result = CliRunner().invoke(_app(filled), ["report", "--period", "2021H3", "--docx", str(tmp_path / "x.docx")])
    assert result.exit_code == 2
    result = CliRunner().invoke(_app(filled), ["report", "--year", "2021"])
    assert result.exit_code == 2 and "--docx" in result.output


def test_kommun_lines() -> None:
    from notify.report_stats import ReportRow

    row = dict(month=1, relation="between", reporter_principal="kommun", responded=False, improvements=False,
               reporter_kommun="Stockholm")
    rows = [ReportRow(reporter="Socialtjänst", receivers=("BUP",), themes=("SIP",), case_id=f"A{i}", **row)
            for i in range(3)]
    rows.append(ReportRow(reporter="Socialtjänst", receivers=("BUMM",), themes=("SIP",), case_id="B", **row))
    lines = kommun_lines(rows, "Stockholm", "2021")
    assert lines[1] == ("Socialtjänst i Stockholm skickade in 4 avvikelser, varav 3 var ställda till BUP och "
                        "majoriteten av dem (3 st.) handlade om SIP.")


@pytest.mark.integration
def test_draft_converts_to_pdf(filled: Database, tmp_path: Path) -> None:
    office, pdftoppm = shutil.which("soffice") or shutil.which("libreoffice"), shutil.which("pdftoppm")
    if not (office and pdftoppm):
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice or pdftoppm missing (scripts/install-test-deps.sh installs them)")
        pytest.skip("LibreOffice (soffice) or pdftoppm not installed: scripts/install-test-deps.sh")
    started = time.monotonic()
    path, _ = _draft(filled, tmp_path, "--year", "2021")
    took = time.monotonic() - started
    done = subprocess.run([office, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to",
                           "pdf", "--outdir", str(tmp_path), str(path)], capture_output=True, timeout=300)
    pdf = tmp_path / "utkast.pdf"
    assert done.returncode == 0 and pdf.exists(), done.stderr
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout if shutil.which(
        "pdfinfo") else ""
    pages = int(m.group(1)) if (m := re.search(r"Pages:\s+(\d+)", info)) else 0
    shots = Path(os.environ.get("BUSAVVIK_SCREENSHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    subprocess.run([pdftoppm, "-png", "-r", "60", str(pdf), str(shots / "rapport-utkast")], check=True, timeout=300)
    images = sorted(shots.glob("rapport-utkast*.png"))
    assert images and (not pages or len(images) == pages)
    print(f"report --docx: {took:.1f} s to the file, {len(images)} pages")


def test_web_draft_for_the_secretariat_only(db: Database) -> None:
    import io

    from tests.support import web_support as ws

    rules = default_rules()
    ws.load(db, rules)
    reader, _ = ws.logged_in(db, rules, "reader")
    assert "utkast.docx" not in reader.get("/rapport/2026").text
    assert reader.get("/rapport/2026/utkast.docx").status_code == 403
    sec, _ = ws.logged_in(db, rules, "secretariat")
    assert 'href="/rapport/2026/utkast.docx"' in sec.get("/rapport/2026").text
    r = sec.get("/rapport/2026/utkast.docx")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    doc = Document(io.BytesIO(r.content))
    assert any("Under 2026 inkom totalt" in p.text for p in doc.paragraphs)
    assert sec.get("/rapport/2026/utkast.docx?period=2025H1").status_code == 400
    assert sec.get("/rapport/2026/utkast.docx?period=2026H1").status_code == 200


def test_draft_from_the_imported_corpus(db: Database, tmp_path: Path) -> None:
    """Real forms in real mail (tests/corpus.py) through the pipeline: the draft is written, its themes sum to n
    and each figure equals its case list and the .xlsx."""
    from ingest.files import open_source
    from pipeline.batch import Pipeline
    from tests.support.corpus import write_corpus

    rules = default_rules()
    write_corpus(tmp_path / "mail")
    pipeline = Pipeline(db, rules)
    for box in ("storsthlm", "hsf"):
        pipeline.ingest(open_source(tmp_path / "mail" / box, box).messages())
    path, output = _draft(db, tmp_path, "--year", "2026")
    with db.session() as session:
        data = report_data(session, 2026, rules=rules)
    s = data.stats
    assert s.total > 0 and s.themes_total == s.between
    assert {(f.section, f.label): f.value for f in figures(s, data.rows)} == expected(s)
    assert f"Under 2026 inkom totalt {s.total} avvikelser." in _text(path)
    assert sheet_rows(tmp_path / "r.xlsx", "Tabell 1 Huvudmän")["Summa totalt"][0] == s.total
