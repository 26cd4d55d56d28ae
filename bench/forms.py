"""Benchmark: parse_form against the python-docx Document route, on ~200 forms of mixed shapes.

    .venv/bin/python bench/forms.py [--forms 200] [--rounds 3]

Each form is parsed `rounds` times by each route, interleaved; per form the best round counts (the least
disturbed by other work on the machine).  Prints median and p95 per form for parse_form, the median for
docx.Document + reading every paragraph's and table cell's text, and their ratio.
"""
from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import docx  # noqa: E402

from config.rules import default_rules  # noqa: E402
from parsers.form import parse_form  # noqa: E402
from tests.support.formbuilder import DATE_STYLES, SAMPLE_VALUES, SHAPES, build_form  # noqa: E402

RESPONSE = {
    "response_description": "Behandlaren var sjuk\nErsättare hann inte utses",
    "response_improvements": "Kallelser registreras i funktionsbrevlåda",
    "response_received_date": date(2021, 5, 3),
    "response_manager_name": "Stina Prov",
    "response_manager_unit": "BUP Exempelmottagningen",
    "response_manager_email": "stina.prov@example.org",
    "response_manager_phone": "08-000 00 02",
}


def corpus(count: int) -> list[tuple[str, bytes]]:
    """`count` forms: every shape and date style, with and without an answer, some half filled."""
    forms = []
    for i in range(count):
        shape, style = SHAPES[i % len(SHAPES)], DATE_STYLES[(i // len(SHAPES)) % len(DATE_STYLES)]
        values: dict[str, object] = {**SAMPLE_VALUES, "reported_date": date(2021, 1, 4) + timedelta(days=i)}
        values["description"] = "\n".join(f"Punkt {n} om händelse {i}" for n in range(1 + i % 4))
        if i % 3 == 0:
            values.update(RESPONSE)
        if i % 7 == 0:
            for name in ("proposed_action", "reporter_phone", "reporter_manager_email"):
                values[name] = None
        forms.append((f"{shape}/{style}", build_form(values, shape=shape, date_style=style)))
    return forms


def docx_route(data: bytes) -> list[str]:
    """What the python-docx route reads: every paragraph's and every table cell's text."""
    document = docx.Document(io.BytesIO(data))
    texts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            texts.extend(cell.text for cell in row.cells)
    return texts


def best_of(function: object, data: bytes, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        function(data)  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return best


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forms", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rules = default_rules().form
    forms = corpus(args.forms)
    for _, data in forms[:10]:   # warm up: imports, compiled rules, caches
        parse_form(data, rules)
        docx_route(data)
    ours, theirs, failures = [], [], 0
    for _, data in forms:
        result = parse_form(data, rules)
        failures += result.form is None or bool(result.problems) or not result.form.has_report
        ours.append(best_of(lambda d: parse_form(d, rules), data, args.rounds))
        theirs.append(best_of(docx_route, data, args.rounds))
    ms = 1000.0
    ours_median, docx_median = statistics.median(ours) * ms, statistics.median(theirs) * ms
    print(f"forms: {len(forms)} ({', '.join(SHAPES)} x {', '.join(DATE_STYLES)}), best of {args.rounds} rounds")
    print(f"parse_form:           median {ours_median:.3f} ms   p95 {percentile(ours, 0.95) * ms:.3f} ms")
    print(f"docx.Document + text: median {docx_median:.3f} ms")
    print(f"ratio (docx route / parse_form): {docx_median / ours_median:.1f}x")
    print(f"forms not read cleanly: {failures}")


if __name__ == "__main__":
    main()
