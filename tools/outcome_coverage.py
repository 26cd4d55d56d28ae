"""How many answers the outcome rules suggest an outcome for, and how many of those are right.

    .venv/bin/python tools/outcome_coverage.py                       # the shipped rules
    .venv/bin/python tools/outcome_coverage.py --rules old.toml      # another rules file (e.g. before a change)
    .venv/bin/python tools/outcome_coverage.py --export dev.json     # also the answers of `busavvik export deviations`

The phrasings are tests/support/outcome_phrasings.py: how receivers write their answers, in the seeds' Swedish.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config.rules import load_rules  # noqa: E402
from parsers.outcome import suggest_outcome  # noqa: E402
from tests.support.outcome_phrasings import PHRASINGS  # noqa: E402


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--rules", type=Path, help="a rules file laid over the shipped defaults")
    args.add_argument("--export", type=Path, help="a JSON export of deviations: its answers are counted too")
    opts = args.parse_args()
    rules = load_rules(opts.rules)
    suggested = right = 0
    by_label: Counter[tuple[str | None, bool]] = Counter()
    for text, improvements, wanted in PHRASINGS:
        found = suggest_outcome(text, improvements, rules)
        label = found[0] if found else None
        suggested += label is not None
        right += label == wanted
        by_label[(wanted, label == wanted)] += 1
    total = len(PHRASINGS)
    print(f"phrasings: {suggested} of {total} get a suggestion, {right} of {total} the expected one")
    for wanted in dict.fromkeys(w for _, _, w in PHRASINGS):
        ok, n = by_label[(wanted, True)], by_label[(wanted, True)] + by_label[(wanted, False)]
        print(f"  {wanted or '(inget förslag)'}: {ok} of {n}")
    if opts.export:
        answers = [a for d in json.loads(opts.export.read_text()) for a in d.get("answers") or []]
        got = sum(suggest_outcome(a.get("description"), a.get("improvements"), rules) is not None for a in answers)
        print(f"export {opts.export.name}: {got} of {len(answers)} answers get a suggestion")


if __name__ == "__main__":
    main()
