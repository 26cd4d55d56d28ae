"""The shipped outcome rules (config/rules.toml) cover how answers are really written: each phrasing of
tests/support/outcome_phrasings.py gets the outcome the annual reports would give it, or none."""
from __future__ import annotations

import pytest

from config.rules import Rules
from parsers.outcome import suggest_outcome
from tests.support.outcome_phrasings import PHRASINGS


@pytest.mark.parametrize(("text", "improvements", "wanted"), PHRASINGS, ids=[p[0][:40] for p in PHRASINGS])
def test_each_phrasing_gets_its_outcome(rules: Rules, text: str, improvements: str | None,
                                        wanted: str | None) -> None:
    found = suggest_outcome(text, improvements, rules)
    assert (found[0] if found else None) == wanted


def test_every_outcome_is_covered_by_a_dozen_phrasings() -> None:
    counts = {w: sum(1 for _, _, x in PHRASINGS if x == w) for _, _, w in PHRASINGS if w}
    assert set(counts) == {"Löst genom kommunikationen", "Förbättringsförslag", "Delvis löst", "Ej löst"}
    assert min(counts.values()) >= 12


def test_the_two_phrasings_the_review_found_missed(rules: Rules) -> None:
    assert suggest_outcome("Vi delar inte bilden av händelseförloppet.", None, rules)[0] == "Ej löst"  # type: ignore[index]
    assert suggest_outcome("Mallen ses över.", None, rules)[0] == "Förbättringsförslag"  # type: ignore[index]
