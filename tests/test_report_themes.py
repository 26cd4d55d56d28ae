"""One main theme per deviation: rules in the rules file's order, a person's correction first; secondary themes
counted apart; sub-themes (Tabell 8 of the 2021 report) from the rules; the rule behind each count."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from config.errors import ConfigError
from config.rules import default_rules, load_rules
from notify.report import yearly_stats
from notify.report_tables import theme_table
from parsers.classify import themes_of
from parsers.themes import choose
from parsers.types import FormData
from store.db import Database
from tests.support.report import OKLAR, OVRIG, REMISS, SIP, STRUKT, Spec, _case

TEXTS = [  # (event type / description, themes the parser gives, main theme, sub-theme)
    ("SIP. BUP uteblev från SIP-mötet utan att meddela, vi fick hänvisa familjen.", [SIP], SIP,
     "Deltog inte i SIP-mötet"),
    ("SIP. BUP anslöt sent och deltog bara en del av mötet.", [SIP], SIP, "Deltog endast en del av SIP-mötet"),
    ("Uppföljande SIP har ej bokats in och protokoll har inte skickats.", [SIP], SIP,
     "Bristande tillämpning av rutiner"),
    ("SIP via digital länk gick inte: tekniken fungerar inte mellan huvudmännen.", [SIP], SIP,
     "Svårigheter i kommunikation"),
    ("Remiss till BUP: bristfälligt remissvar, oklart vad som gäller.", [REMISS], REMISS,
     "Uteblivet eller bristfälligt remissvar"),
    ("Utebliven representation i lokal BUS-styrgrupp.", [STRUKT], STRUKT, None),
    ("Läkarundersökning inför LVU har inte kunnat bokas.", [OVRIG], OVRIG, "Läkarundersökning inför LVU"),
    ("Oklart vems ansvar det är att utreda.", [OKLAR], OKLAR, None),
]


@pytest.mark.parametrize("text, themes, main, sub", TEXTS)
def test_theme_rules(text: str, themes: list[str], main: str, sub: str | None) -> None:
    rules = default_rules()
    assert list(themes_of(FormData(description=text), rules)) == themes  # "hänvisa"/"oklar" not added to SIP
    pick = choose(themes, text, rules)
    assert (pick.main, pick.subtheme) == (main, sub)
    assert pick.rule


def test_main_theme_by_rules_order_and_correction() -> None:
    rules = default_rules()
    assert choose([STRUKT, SIP], "", rules).main == SIP                        # SIP comes first in the rules
    assert choose([STRUKT, SIP], "", rules).secondary == (STRUKT,)
    assert choose([OKLAR, SIP], "", rules).secondary == ()                     # not_with: SIP
    corrected = choose([STRUKT, SIP], "", rules, corrected=True)               # a person's order wins
    assert (corrected.main, corrected.secondary, corrected.rule) == (STRUKT, (SIP,), "rättat av en person")


def test_order_and_subthemes_come_from_the_rules_file(tmp_path: Path) -> None:
    admin = tmp_path / "rules.toml"
    admin.write_text('[[themes]]\nname = "Remisshantering"\npatterns = ["remiss"]\n'
                     '[[themes.subthemes]]\nname = "Väntan"\npatterns = ["vänta"]\n'
                     '[[themes]]\nname = "SIP"\npatterns = ["SIP"]\n', encoding="utf-8")
    rules = load_rules(admin)
    pick = choose([SIP, REMISS], "SIP och remiss, fick vänta", rules)
    assert (pick.main, pick.secondary, pick.subtheme) == (REMISS, (SIP,), "Väntan")
    admin.write_text('[[themes]]\nname = "SIP"\npatterns = ["SIP"]\nsubthemes = 3\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="subthemes"):
        load_rules(admin)


def test_report_themes_sum_to_n(db: Database) -> None:
    received = datetime(2024, 3, 4, 9, tzinfo=UTC)
    cases = []
    for i, (text, themes, _, _) in enumerate(TEXTS * 3):
        case = _case(2024, i + 1, received, Spec(1, "Socialtjänst", ["BUP"], themes), responded=i % 2 == 0)
        case.form = {"description": text}
        cases.append(case)
    extra = _case(2024, 99, received, Spec(1, "Elevhälsa", ["BUP"], [STRUKT, SIP]), responded=False)
    extra.form = {"description": "SIP: BUP kom inte. Rutiner saknas."}
    cases.append(extra)
    with db.session() as session:
        session.add_all(cases)
    with db.session() as session:
        s = yearly_stats(session, 2024)
    assert s.between == 25 and s.themes_total == 25
    assert s.by_theme[SIP] == 13 and s.by_theme[STRUKT] == 3 and s.by_secondary_theme == {STRUKT: 1}
    assert s.by_subtheme[SIP] == {"Deltog inte i SIP-mötet": 4, "Bristande tillämpning av rutiner": 3,
                                  "Deltog endast en del av SIP-mötet": 3, "Svårigheter i kommunikation": 3}
    assert sum(s.by_subtheme[SIP].values()) == s.by_theme[SIP]
    assert s.theme_rules[STRUKT].startswith("regel ") and "styrgrupp" in s.theme_rules[STRUKT]
    table = theme_table(s)
    rows = {r[0]: r[1] for r in table.rows if len(r) > 1}
    assert rows["Deltog inte i SIP-mötet"] == 4 and rows["Antal avvikelser mellan huvudmän"] == 25
    assert any("styrgrupp" in n for n in table.notes)
    assert s.answered_between == 12 and s.answered_between_share == pytest.approx(12 / 25)
