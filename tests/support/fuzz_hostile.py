"""Hostile inputs whose parsing once took time growing with the square of their size (issue 18, finding 1).

Each input is parsed at three sizes by `parse_mail_and_form`, the step the parser processes run for every
message of `import` and `poll`.  Printed per input: CPU seconds at each size (the best of three runs when under
a second), and the ratio of the largest size's time to the smallest's next to the ratio of the sizes (linear
growth: about the same ratio; quadratic: its square; times of a few milliseconds are noise).  Also the two
over-deep multipart trees (200 and 2,000 levels) and the problem codes they end with.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from config.rules import Rules
from parsers.mailform import parse_mail_and_form
from tests.support import hostilemail
from tests.support.formbuilder import SAMPLE_VALUES, build_form

# input → (builder, sizes at which the issue timed it: bytes, or a count of ids / addresses / encoded words)
HOSTILE: dict[str, tuple[Callable[[int], bytes], tuple[int, ...]]] = {
    "html_style_no_gt": (hostilemail.html_style_flood, (59_000, 117_000, 235_000)),
    "html_a_no_gt": (hostilemail.html_tag_flood, (98_000, 196_000, 391_000)),
    "subject_re_prefixes": (hostilemail.reply_prefix_subject, (1_000_000, 2_000_000, 3_900_000)),
    "references_ids": (hostilemail.many_references, (25_000, 50_000, 100_000)),
    "to_addresses": (hostilemail.many_recipients, (12_500, 25_000, 50_000)),
    "rfc2047_words": (hostilemail.encoded_words, (50_000, 100_000, 200_000)),
}
NESTED_DEPTHS = (200, 2_000)


def _timed(raw: bytes, rules: Rules) -> tuple[float, list[str]]:
    """(CPU seconds of this process, problem codes); the best of three runs when one takes under a second (the
    machine may be shared: CPU time, and the best of a few, keep other load out of the figure)."""
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        try:
            mail, _form, problems = parse_mail_and_form(raw, rules)
            codes = sorted({p.code for p in (*mail.problems, *problems)})
        except Exception as exc:  # noqa: BLE001 - a raise is a finding: reported, not fatal to the benchmark
            codes = [f"RAISED {type(exc).__name__}"]
        best = min(best, time.process_time() - started)
        if best >= 1:
            break
    return best, codes


def hostile_timings(rules: Rules, only: tuple[str, ...] = ()) -> dict[str, Any]:
    """{input: "sizes → seconds, ratio"} for every hostile input (or those named in `only`)."""
    figures: dict[str, Any] = {}
    for name, (build, sizes) in HOSTILE.items():
        if only and name not in only:
            continue
        seconds = []
        for size in sizes:
            raw = build(size)
            took, _codes = _timed(raw, rules)
            seconds.append(took)
            figures[f"{name}_{size}_mb"] = round(len(raw) / 1e6, 2)
        figures[f"{name}_seconds"] = " / ".join(f"{s:.4f}" for s in seconds)
        figures[f"{name}_time_ratio_vs_size_ratio"] = \
            f"{seconds[-1] / max(seconds[0], 1e-6):.1f} vs {sizes[-1] / sizes[0]:.1f}"
    return figures


def nesting_figures(rules: Rules) -> dict[str, Any]:
    """Seconds and problem codes of multipart trees nested too deep (a form at the bottom)."""
    form = build_form(SAMPLE_VALUES)
    figures: dict[str, Any] = {}
    for depth in NESTED_DEPTHS:
        took, codes = _timed(hostilemail.nested_multipart(depth, form), rules)
        figures[f"nested_{depth}_deep"] = f"{took:.3f} s, problems: {', '.join(codes) or 'none'}"
    return figures
