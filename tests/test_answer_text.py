"""What parsers.answers.answer_text extracts from real Outlook, Gmail and Apple Mail replies (Swedish and
English), one fixture a case under tests/fixtures/replies/."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from parsers.answers import answer_text

REPLIES = Path(__file__).parent / "fixtures" / "replies"

# fixture -> (the answer's first line, its last line, text that must not be in it: the quoted original)
EXPECTED = {
    "outlook_sv_fran_skickat": ("Hej,", "08-123 456 78", "Här kommer en avvikelse"),
    "outlook_sv_underscores": ("Tack för avvikelsen. Vi tar upp den på nästa ledningsgrupp och återkommer med "
                               "åtgärder.", "/Maria", "Vidarebefordrar"),
    "outlook_sv_ursprungligt_meddelande": ("Hej,", "Svar på avvikelsen: personalen har fått information om "
                                                   "sekretessreglerna.", "Ursprungligt meddelande"),
    "outlook_en_from_sent": ("Hej!", "John Smith", "Please answer"),
    "gmail_sv_den_skrev": ("Hej, vi har pratat med skolan och de ska kalla till nytt SIP-möte inom två veckor.",
                           "Hej, vi har pratat med skolan och de ska kalla till nytt SIP-möte inom två veckor.",
                           "skrev"),
    "apple_sv_datum_skrev": ("Åtgärdat. Rutinen är ändrad från 1 april.", "Skickat från min iPhone",
                             "Här kommer"),
    "inline_quote_only": ("Ja, svaret kommer på fredag. Vi väntar på uppgifter från skolan.",
                          "Ja, svaret kommer på fredag. Vi väntar på uppgifter från skolan.", "senast fredag"),
    "no_quote": ("Hej,", "Mvh Per", "\x00"),
}


def test_every_fixture_has_its_expectation() -> None:
    assert {p.stem for p in REPLIES.glob("*.txt")} == set(EXPECTED)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_the_answer_without_the_quoted_original(case: str) -> None:
    first, last, absent = EXPECTED[case]
    text = answer_text((REPLIES / f"{case}.txt").read_text(encoding="utf-8"))
    assert text is not None
    lines = text.splitlines()
    assert (lines[0], lines[-1]) == (first, last)
    assert absent not in text


def test_crlf_bodies_and_empty_bodies() -> None:
    body = (REPLIES / "outlook_sv_fran_skickat.txt").read_text(encoding="utf-8").replace("\n", "\r\n")
    assert answer_text(body) == answer_text(body.replace("\r\n", "\n"))
    assert answer_text("") is None and answer_text("> bara citat\n") is None


def test_the_limit_and_a_hostile_line_stay_bounded() -> None:
    assert 3_990 <= len(answer_text("ord " * 5_000) or "") <= 4_000
    hostile = "Den " + " x" * 20_000 + " skrev " + "y " * 20_000 + "\n"   # square-time for the library's pattern
    started = time.process_time()
    answer_text(hostile * 3)
    assert time.process_time() - started < 1.0


def _whole_text_answer(body: str) -> str | None:
    """The library's answer over the whole (bounded) text, without the shortcut that finds it sooner."""
    from parsers import answers
    text = "\n".join(line[:answers.MAX_LINE_CHARS] for line in body[:answers.MAX_READ_CHARS].splitlines())
    from mailparser_reply import EmailReplyParser
    reply = EmailReplyParser(languages=["sv", "en"]).parse_reply(text)
    return answers._post_filter(str(reply or ""))[:4000] or None


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_the_shortcut_gives_the_library_s_own_answer(case: str) -> None:
    reply = (REPLIES / f"{case}.txt").read_text(encoding="utf-8")
    prose = "Vi har gått igenom ärendet med berörda enheter och återkommer. " * 40
    for body in (reply, prose + "\n\n" + reply, reply.replace("\n", "\r\n \u00a0"), prose):
        assert answer_text(body) == _whole_text_answer(body)
