"""The yearly report drafted as a Word document, in the 2021 report's structure (seed 000).

Built with python-docx on notify/templates/rapportmall.docx (the secretariat may restyle it).  Every number comes
from `YearStats` and its tables (notify/report_tables.py, the same the .xlsx and the web report show) and the
appendix lists the case ids behind each figure (notify/report_figures.py).  No free text of a deviation reaches
the draft: the places for quotes and reflections are marked "[Citat: …]" and "[Reflektion: …]".
"""
from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm

from config.errors import ConfigError, read_toml
from config.history import COMPUTED, History, YearFigures, merged
from notify.report_figures import Figure, Period
from notify.report_stats import SIP_THEME, YearStats, share
from notify.report_tables import (
    Table,
    answer_table,
    geography_table,
    principals_table,
    receiver_table,
    reporter_table,
    theme_label,
    theme_table,
    within_table,
)

TEMPLATE = Path(__file__).with_name("templates") / "rapportmall.docx"
DEFAULT_TEXTS = Path(__file__).resolve().parents[1] / "config" / "report_texts.toml"
REMISS_THEME = "Remisshantering"
MIN_RECEIVED = 6          # 2021: "Verksamhetsområden som mottagit färre än sex avvikelser redovisas inte"
FIRST_HISTORY_YEAR = 2018
STANDARD_OUTCOMES = ("Löst genom kommunikationen", "Förbättringsförslag", "Delvis löst, fortsatt utvecklingsarbete",
                     "Ej löst")


@dataclass(frozen=True)
class Texts:
    title: str = "BUS-avvikelser"
    subtitle: str = "Rapport avvikelser {period}"
    bakgrund: str = ""
    syfte: str = ""
    geografi: str = ""
    measures: Mapping[str, str] = field(default_factory=dict)


def load_texts(path: Path | None = None) -> Texts:
    file = path or DEFAULT_TEXTS
    data = read_toml(file, "report texts")
    known = {"title", "subtitle", "bakgrund", "syfte", "geografi", "measures"}
    if set(data) - known:
        raise ConfigError(f"{file}: unknown key(s) {', '.join(sorted(set(data) - known))}; known: "
                          f"{', '.join(sorted(known))}")
    measures = data.get("measures", {})
    if not isinstance(measures, dict):
        raise ConfigError(f"{file}: measures: expected a table of texts per theme")
    return Texts(**{k: str(v) for k, v in data.items() if k != "measures"},
                 measures={str(k): str(v) for k, v in measures.items()})


def pct(part: int, whole: int) -> str:
    return f"{round(share(part, whole) * 100)} %"


def about(part: int, whole: int) -> str:
    """The report's words for a share: "knappt hälften", "drygt en tredjedel" …"""
    if not whole:
        return ""
    x = part / whole
    if part == whole:
        return "samtliga"
    for target, word in ((1 / 4, "en fjärdedel"), (1 / 3, "en tredjedel"), (1 / 2, "hälften"),
                         (2 / 3, "två tredjedelar"), (3 / 4, "tre fjärdedelar")):
        if abs(x - target) <= 0.05:
            return word if abs(x - target) < 0.01 else f"{'knappt' if x < target else 'drygt'} {word}"
    return "merparten" if x > 0.5 else f"{round(x * 100)} procent"


def lower_type(name: str) -> str:
    """"Socialtjänst" → "socialtjänsten" as the text says it; acronyms stay."""
    if name.isupper() or not name or "," in name:
        return name
    word = name[0].lower() + name[1:]
    return word + "n" if word.endswith("a") else word + "en" if word.endswith(("tjänst", "ering")) else word


def listed(names: Sequence[str]) -> str:
    """"a, b och c"."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} och {names[-1]}" if names else ""


class Draft:
    """The document being written: headings, paragraphs, numbered tables, charts."""

    def __init__(self, template: Path) -> None:
        self.doc: DocxDocument = Document(str(template))
        self.table_no = 0

    def heading(self, text: str, level: int = 1) -> None:
        self.doc.add_heading(text, level)

    def para(self, text: str, style: str | None = None) -> None:
        self.doc.add_paragraph(text, style=style)

    def texts(self, text: str, **values: Any) -> None:
        for block in text.strip().split("\n\n"):
            if block.strip():
                self.para(" ".join(block.split()).format(**values))

    def mark(self, what: str) -> None:
        """A marked place the secretariat fills in ("[Reflektion: …]")."""
        p = self.doc.add_paragraph()
        run = p.add_run(f"[{what}]")
        run.italic = True

    def caption(self, text: str) -> str:
        self.table_no += 1
        label = f"Tabell {self.table_no}. {text}"
        self.doc.add_paragraph(label, style="Caption")
        return label

    def table(self, t: Table, caption: str) -> str:
        label = self.caption(caption)
        rows = [r for r in t.rows if any(c is not None for c in r)]
        table = self.doc.add_table(rows=1, cols=len(t.header))
        table.style = "Table Grid"
        for cell, head in zip(table.rows[0].cells, t.header):
            cell.text = str(head)
            for run in cell.paragraphs[0].runs:
                run.bold = True
        for i, row in enumerate(t.rows):
            if not any(c is not None for c in row):
                continue
            cells = table.add_row().cells
            for col, value in enumerate(row[:len(cells)]):
                cells[col].text = _cell(value, col in t.percent_cols)
                if i in t.bold_rows:
                    for run in cells[col].paragraphs[0].runs:
                        run.bold = True
        del rows
        for note in t.notes:
            self.para(note, style="Caption")
        return label

    def grid(self, header: Sequence[str], rows: Iterable[Sequence[Any]], caption: str) -> str:
        t = Table(caption, header)
        for row in rows:
            t.add(*row)
        return self.table(t, caption)

    def chart(self, path: Path, width_cm: float = 15.0) -> None:
        self.doc.add_picture(str(path), width=Cm(width_cm))

    def toc(self) -> None:
        """A table of contents field (Word fills it in on opening: fields are updated, see `_update_fields`)."""
        p = self.doc.add_paragraph()
        run = p.add_run()
        begin, instr, sep, end = (OxmlElement("w:fldChar"), OxmlElement("w:instrText"), OxmlElement("w:fldChar"),
                                  OxmlElement("w:fldChar"))
        begin.set(qn("w:fldCharType"), "begin")
        instr.set(qn("xml:space"), "preserve")
        instr.text = 'TOC \\o "1-2" \\h \\z \\u'
        sep.set(qn("w:fldCharType"), "separate")
        end.set(qn("w:fldCharType"), "end")
        placeholder = OxmlElement("w:t")
        placeholder.text = "Högerklicka och välj Uppdatera fält för att visa innehållsförteckningen."
        for el in (begin, instr, sep, placeholder, end):
            run._r.append(el)
        settings = self.doc.settings.element
        update = OxmlElement("w:updateFields")
        update.set(qn("w:val"), "true")
        settings.append(update)

    def quotes(self, found: Sequence[DraftQuote], mark: str) -> None:
        """Approved quotes, each with its case id marked for the secretariat; else the marked place."""
        if not found:
            self.mark(mark)
        for q in found:
            p = self.doc.add_paragraph(f"”{q.text}”")
            p.paragraph_format.left_indent = Cm(1)
            run = p.add_run(f" [{q.case_id}]")
            run.italic = True

    def page_break(self) -> None:
        self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _cell(value: Any, percent: bool) -> str:
    if value is None:
        return ""
    if percent and isinstance(value, (int, float)):
        return f"{round(value * 100)} %"
    return str(value)


def figures_of(s: YearStats) -> YearFigures:
    """The counted figures of a year, in the history's terms (for the comparisons over the years)."""
    return YearFigures(s.year, COMPUTED, "busavvik", total=s.total, between=s.between, within=s.within,
                       answered=s.answered, sip=s.sip, remiss=s.by_theme.get(REMISS_THEME, 0),
                       reporter_kommun=s.reporter_kommun, reporter_region=s.reporter_region,
                       reporters=dict(s.by_reporter_type), receivers=dict(s.by_receiver_type),
                       themes=dict(s.by_theme))


@dataclass
class DraftInput:
    stats: YearStats
    period: Period
    figures: list[Figure]
    history: History
    earlier: Mapping[int, YearStats] = field(default_factory=dict)   # counted years before, from the store
    texts: Texts = field(default_factory=Texts)
    kommun_lines: Sequence[str] = ()
    made: date | None = None
    quotes: Sequence[DraftQuote] = ()          # approved quotes of the year's cases (store/quotes.py)

    def quotes_for(self, *, theme: str | None = None, receiver: str | None = None, source: str | None = None,
                   most: int = 3) -> list[DraftQuote]:
        found = [q for q in self.quotes if (theme is None or q.theme == theme)
                 and (receiver is None or receiver in q.receivers) and (source is None or q.source == source)]
        return found[:most]


@dataclass(frozen=True)
class DraftQuote:
    case_id: str
    text: str                 # anonymised and approved
    source: str               # description | answer
    theme: str                # the case's main theme
    receivers: tuple[str, ...]


def _years(d: DraftInput) -> list[YearFigures]:
    computed = {y: figures_of(s) for y, s in d.earlier.items() if s.total}
    computed[d.stats.year] = figures_of(d.stats)
    return merged(d.history, computed, FIRST_HISTORY_YEAR, d.stats.year)


def _origin(f: YearFigures) -> str:
    return f"publicerad ({f.source})" if f.origin != COMPUTED else "beräknad av busavvik"


def _intro(w: Draft, d: DraftInput) -> None:
    s, p = d.stats, d.period
    w.heading(f"Inkomna avvikelser {p.label}")
    w.para(f"Tabell 1 visar det totala antalet inkomna avvikelser och fördelningen mellan huvudmän respektive inom "
           f"huvudman. Under {p.label} inkom totalt {s.total} avvikelser. Av dessa var {s.within} inom samma "
           f"huvudman och {s.between} mellan huvudmän."
           + (f" För {s.unknown} har relationen mellan huvudmännen inte kunnat avgöras." if s.unknown else "")
           + " I rapporten är fokus på avvikelser mellan huvudmän.")
    w.table(principals_table(s), "Inkomna avvikelser mellan huvudmän och inom huvudman")
    if s.within:
        w.para(within_table(s).notes[0])


def _geography(w: Draft, d: DraftInput) -> None:
    s = d.stats
    w.heading(f"Geografisk fördelning av avvikelser {d.period.label}")
    lines = [f"Avvikelserna mellan huvudmän kommer från {len(s.reporter_kommuner)}"
             + (f" av länets {s.kommuner_total} kommuner." if s.kommuner_total else " kommuner.")]
    for kommun, areas in s.reporter_areas.items():
        total = s.areas_total.get(kommun)
        lines.append(f"Från {kommun} kommer de från {len(areas)}" + (f" av {total}" if total else "")
                     + " stadsdelar eller områden.")
    for org_type, units in s.reporter_units.items():
        total = s.mottagningar_total.get(org_type)
        if total:
            lines.append(f"Avvikelserna från {lower_type(org_type)} kommer från {len(units)} av {total} "
                         f"{org_type}-mottagningar.")
        else:
            lines.append(f"Avvikelserna från {lower_type(org_type)} kommer från {len(units)} olika enheter.")
    w.para(" ".join(lines))
    w.texts(d.texts.geografi, period=d.period.label, year=s.year)
    w.table(geography_table(s), "Geografisk spridning enligt organisationsregistret")


def _reporters(w: Draft, d: DraftInput, charts: Path) -> None:
    from notify.report_charts import reporter_pie

    s = d.stats
    w.heading("Inskickade avvikelser mellan huvudmän")
    w.heading("Rapporterande verksamhet", 2)
    top = [k for k, v in sorted(s.by_reporter_type.items(), key=lambda kv: -kv[1]) if v][:3]
    w.para(f"{s.between} avvikelser har skickats mellan huvudmän. "
           + (f"Flest har skickats av {listed([lower_type(t) for t in top])}. " if top else "")
           + f"Kommunal verksamhet står för {s.reporter_kommun} ({pct(s.reporter_kommun, s.between)}) och regional "
           f"verksamhet för {s.reporter_region} ({pct(s.reporter_region, s.between)}).")
    w.table(reporter_table(s), f"Rapporterande verksamheter {d.period.label}")
    w.chart(reporter_pie(s, charts / "andel.png"), 11)
    years = [f for f in _years(d) if f.reporters or f.between]
    if len(years) > 1:
        names = list(dict.fromkeys(n for f in years for n in f.reporters))
        w.grid(["Rapportör", *[str(f.year) for f in years]],
               [[n, *[f.reporters.get(n) if f.reporters else None for f in years]] for n in names]
               + [["Summa kommunal verksamhet", *[f.reporter_kommun for f in years]],
                  ["Summa regional verksamhet", *[f.reporter_region for f in years]],
                  ["Avvikelser mellan huvudmän", *[f.between for f in years]],
                  ["Källa", *[_origin(f) for f in years]]],
               "Rapporterande verksamheter, tidigare år")


def _receivers(w: Draft, d: DraftInput, charts: Path) -> None:
    from notify.report_charts import receiver_chart

    s = d.stats
    w.heading("Mottagande verksamhet", 2)
    if s.by_receiver_type:
        first, n = next(iter(s.by_receiver_type.items()))
        w.para(f"{about(n, s.between).capitalize()} av avvikelserna ({n} av {s.between}) är ställda till {first}. "
               "Observera att antalet mottagna avvikelser per verksamhet är fler än antalet inskickade när "
               "avvikelser riktar sig till mer än en verksamhet.")
    w.table(receiver_table(s), "Verksamhet som tagit emot avvikelser")
    w.chart(receiver_chart(s, charts / "mottagande.png"))
    w.heading("Rapporterade samverkansbrister per mottagande verksamhet", 2)
    w.para(f"Verksamhetsområden som mottagit färre än {MIN_RECEIVED} avvikelser redovisas inte här.")
    for receiver, reporters in s.receiver_cross.items():
        total = s.by_receiver_type.get(receiver, 0)
        if total < MIN_RECEIVED:
            continue
        w.heading(f"Avvikelser till {receiver}", 2)
        first_rep, themes = next(iter(reporters.items()))
        sent = sum(themes.values())
        theme, tn = next(iter(themes.items()))
        w.para(f"Avvikelser ställda till {receiver} (totalt {total} st.) är i de flesta fall inskickade av "
               f"{lower_type(first_rep)} ({sent} st.) och {about(tn, sent) or 'merparten'} av dessa ({tn} st.) "
               f"handlar om {theme_label(theme)}.")
        theme_names = list(dict.fromkeys(t for ts in reporters.values() for t in ts))
        w.grid(["Rapportör", *[theme_label(t) for t in theme_names], "Summa"],
               [[rep, *[ts.get(t, 0) for t in theme_names], sum(ts.values())] for rep, ts in reporters.items()],
               f"Avvikelser till {receiver}: rapportör och huvudtema")
        w.quotes(d.quotes_for(receiver=receiver, source="description", most=2),
                 f"Citat: 1–3 avidentifierade citat om avvikelser till {receiver}")


def _themes(w: Draft, d: DraftInput, charts: Path) -> None:
    from notify.report_charts import theme_chart

    s = d.stats
    w.heading("Teman i avvikelser")
    w.para("Varje avvikelse mellan huvudmän har ett huvudtema, så att temana summerar till antalet avvikelser "
           f"({s.themes_total} av {s.between}). Huvudtemat är det första tema i regelfilens ordning som "
           "avvikelsen berör; en persons rättelse går före. Övriga teman redovisas som sekundära.")
    w.table(theme_table(s), "Anledning till avvikelserapportering mellan huvudmän")
    w.chart(theme_chart(s, charts / "teman.png"))
    years = _years(d)
    for theme, n in s.by_theme.items():
        w.heading(theme_label(theme), 2)
        rule = s.theme_rules.get(theme, "satt av en person")
        w.para(f"{n} avvikelser ({pct(n, s.between)}) har {theme_label(theme)} som huvudtema. Regel: {rule}.")
        subs = s.by_subtheme.get(theme, {})
        if subs:
            w.grid(["Typ av samverkansbrist", "Antal", "Andel av temat"],
                   [[k, v, f"{pct(v, n)}"] for k, v in subs.items()],
                   f"Olika typer av samverkansbrister: {theme_label(theme)}")
        if theme in (SIP_THEME, REMISS_THEME):
            attr = "sip_share" if theme == SIP_THEME else "remiss_share"
            shown_years = [f for f in years if getattr(f, attr) is not None]
            w.grid(["År", "Andel av avvikelser mellan huvudmän", "Källa"],
                   [[f.year, f"{round(getattr(f, attr) * 100)} %", _origin(f)] for f in shown_years],
                   f"Andel inkomna avvikelser mellan huvudmän som berör {theme_label(theme)}, "
                   f"{shown_years[0].year}–{shown_years[-1].year}" if shown_years else theme_label(theme))
        w.quotes(d.quotes_for(theme=theme, source="description"),
                 f"Citat: 1–3 avidentifierade citat om {theme_label(theme)}")
    if s.by_secondary_theme:
        w.para("Sekundära teman (ingår inte i summan): " + ", ".join(
            f"{theme_label(k)} {v} st." for k, v in s.by_secondary_theme.items()))


def _answers(w: Draft, d: DraftInput) -> None:
    s = d.stats
    w.heading("Svar på avvikelser")
    w.para(f"Totalt har {s.answered_between} av {s.between} avvikelser mellan huvudmän besvarats av mottagande "
           f"verksamhet ({pct(s.answered_between, s.between)}), det vill säga {about(s.answered_between, s.between)}"
           f" av avvikelserna mellan huvudmän. Räknas alla {s.total} avvikelser har {s.answered} besvarats "
           f"({pct(s.answered, s.total)}).")
    for name in STANDARD_OUTCOMES:
        w.para(f"{name}: {s.outcomes.get(name, 0)} st.", style="List Bullet")
    w.table(answer_table(s), "Svar på avvikelser och svarens utfall")
    w.quotes(d.quotes_for(source="answer"), "Citat: ett avidentifierat svar för varje utfall")


def _measures(w: Draft, d: DraftInput) -> None:
    w.heading("Förslag på åtgärder")
    for theme in d.stats.by_theme:
        w.heading(theme_label(theme), 2)
        text = d.texts.measures.get(theme, "").strip()
        if text:
            w.texts(text, period=d.period.label, year=d.stats.year)
        else:
            w.mark(f"Förslag på åtgärder: {theme_label(theme)}")


def _appendix(w: Draft, d: DraftInput) -> None:
    w.page_break()
    w.heading("Bilaga: ärenden bakom siffrorna")
    w.para("För varje siffra i rapporten: antalet och de ärenden (ärende-id i busavvik) som ligger bakom.")
    section = ""
    for f in d.figures:
        if f.section != section:
            section = f.section
            w.heading(section, 2)
        w.para(f"{f.label}: {f.value} st. — {', '.join(f.case_ids) or 'inga'}")


def build_draft(d: DraftInput, out: Path, template: Path | None = None) -> Path:
    """Write the draft to `out` (.docx)."""
    w = Draft(template or TEMPLATE)
    s, p = d.stats, d.period
    w.doc.add_paragraph(d.texts.title.format(period=p.label, year=s.year), style="Title")
    w.doc.add_paragraph(d.texts.subtitle.format(period=p.label, year=s.year), style="Subtitle")
    w.para(f"Utkast skapat av busavvik {(d.made or date.today()).isoformat()}. Redovisning av avvikelser inkomna "
           f"under {p.label} (datum för första mottagandet, svensk tid).")
    w.heading("Innehåll")
    w.toc()
    w.page_break()
    w.heading("Bakgrund och syfte")
    w.texts(d.texts.bakgrund, period=p.label, year=s.year)
    w.heading("Syfte", 2)
    w.texts(d.texts.syfte, period=p.label, year=s.year)
    _intro(w, d)
    _geography(w, d)
    with tempfile.TemporaryDirectory(prefix="busavvik-utkast-") as tmp:
        charts = Path(tmp)
        _reporters(w, d, charts)
        _receivers(w, d, charts)
        _themes(w, d, charts)
    _answers(w, d)
    if d.kommun_lines:
        w.heading("Utdrag per kommun")
        for line in d.kommun_lines:
            w.para(line)
    _measures(w, d)
    w.heading("Avslutande reflektion")
    w.mark("Reflektion: vad säger årets avvikelser, jämfört med tidigare år?")
    _appendix(w, d)
    w.doc.core_properties.title = f"BUS-avvikelser {p.key} (utkast)"
    out.parent.mkdir(parents=True, exist_ok=True)
    w.doc.save(str(out))
    return out
