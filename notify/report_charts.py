"""The yearly report's figures as PNG (matplotlib, Agg backend): shaped like the annual reports' charts."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from notify.report_stats import YearStats
from notify.report_tables import MONTHS, theme_label

COLOUR = "#1f5f8b"
ANSWER_COLOURS = ("#1f5f8b", "#c8d6e0")
PIE_COLOURS = ("#1f5f8b", "#4f9bc7", "#9cc7e0", "#d9e6ef")
DPI = 120


def _barh(fig: Figure, counts: Mapping[str, int], title: str) -> None:
    """Horizontal bars, largest on top, the count at the end of each bar (as in the reports' tables)."""
    ax = fig.add_subplot()
    items = [(k, v) for k, v in counts.items()][::-1]
    labels = [k for k, _ in items]
    values = [v for _, v in items]
    bars = ax.barh(labels, values, color=COLOUR)
    ax.bar_label(bars, padding=3)
    fig.suptitle(title)
    ax.set_xlabel("Antal")
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_xlim(0, max(values, default=0) * 1.15 + 1)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))   # counts: whole numbers on the axis


def _save(fig: Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=DPI, format="png")
    plt.close(fig)
    return path


def _figure(rows: int) -> Figure:
    return plt.figure(figsize=(9, max(3.0, 0.45 * rows + 1.5)))


def reporter_chart(s: YearStats, path: Path) -> Path:
    counts = {k: v for k, v in s.by_reporter_type.items() if v}
    fig = _figure(len(counts))
    _barh(fig, counts, f"Verksamhet som skickat in avvikelser {s.year} (n={s.between})")
    return _save(fig, path)


def reporter_pie(s: YearStats, path: Path, top: int = 3) -> Path:
    """The reports' pie: the largest reporting types and the rest as "Övriga"."""
    ranked = sorted(((k, v) for k, v in s.by_reporter_type.items() if v), key=lambda kv: -kv[1])
    slices = dict(ranked[:top])
    rest = sum(v for _, v in ranked[top:])
    if rest:
        slices["Övriga"] = rest
    fig = plt.figure(figsize=(6, 4.5))
    ax = fig.add_subplot()
    if slices:
        ax.pie(list(slices.values()), labels=[f"{k} ({v})" for k, v in slices.items()], autopct="%1.0f%%",
               startangle=90, counterclock=False, colors=PIE_COLOURS[:len(slices)],
               wedgeprops={"edgecolor": "white"})
    else:
        ax.text(0.5, 0.5, "Inga avvikelser", ha="center", va="center")
        ax.set_axis_off()
    ax.set_title(f"Verksamhet som skickat in avvikelser {s.year} (n={s.between})")
    return _save(fig, path)


def receiver_chart(s: YearStats, path: Path) -> Path:
    fig = _figure(len(s.by_receiver_type))
    _barh(fig, s.by_receiver_type, f"Verksamhet som tagit emot avvikelser {s.year} (n={s.receivers_total})")
    return _save(fig, path)


def theme_chart(s: YearStats, path: Path) -> Path:
    counts = {theme_label(k): v for k, v in s.by_theme.items()}
    fig = _figure(len(counts))
    _barh(fig, counts, f"Anledning till avvikelserapportering mellan huvudmän {s.year}")
    return _save(fig, path)


def month_chart(s: YearStats, path: Path) -> Path:
    fig = plt.figure(figsize=(9, 4))
    ax = fig.add_subplot()
    bars = ax.bar([m[:3] for m in MONTHS], s.by_month, color=COLOUR)
    ax.bar_label(bars, padding=2)
    ax.set_title(f"Inkomna avvikelser per månad {s.year} (n={s.total})")
    ax.set_ylabel("Antal")
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_ylim(0, max(s.by_month, default=0) * 1.15 + 1)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    return _save(fig, path)


def answer_chart(s: YearStats, path: Path) -> Path:
    fig = plt.figure(figsize=(6, 4.5))
    ax = fig.add_subplot()
    values = [s.answered, s.total - s.answered]
    labels = [f"Besvarade ({s.answered})", f"Obesvarade ({s.total - s.answered})"]
    if s.total:
        ax.pie(values, labels=labels, colors=ANSWER_COLOURS, autopct="%1.0f%%", startangle=90,
               counterclock=False, wedgeprops={"edgecolor": "white"})
    else:
        ax.text(0.5, 0.5, "Inga avvikelser", ha="center", va="center")
        ax.set_axis_off()
    ax.set_title(f"Svar på avvikelser {s.year} (n={s.total})")
    return _save(fig, path)


def write_charts(s: YearStats, charts_dir: Path) -> list[Path]:
    """One PNG per figure in `charts_dir` (created if missing); returns the files written."""
    charts_dir.mkdir(parents=True, exist_ok=True)
    stem = f"bus_{s.year}_"
    return [
        reporter_chart(s, charts_dir / f"{stem}rapporterande_verksamhet.png"),
        reporter_pie(s, charts_dir / f"{stem}rapporterande_verksamhet_andel.png"),
        receiver_chart(s, charts_dir / f"{stem}mottagande_verksamhet.png"),
        theme_chart(s, charts_dir / f"{stem}teman.png"),
        month_chart(s, charts_dir / f"{stem}per_manad.png"),
        answer_chart(s, charts_dir / f"{stem}svar.png"),
    ]
