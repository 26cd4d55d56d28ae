"""The mails of tests/support/privacy.py: deviations that carry personnummer in every spelling, hostile
payloads (HTML, terminal control sequences), answers and mails nobody can link.

Split out of tests/support/privacy.py; that module re-exports these names.
"""
from __future__ import annotations

import random
import re
from datetime import UTC, date, datetime, timedelta

from tests.support import harness
from tests.support.formbuilder import SAMPLE_VALUES, build_form
from tests.support.mailbuilder import SECRETARIAT, make_mail

PAYLOADS = ('<script>alert("bus")</script>', '"><img src=x onerror=alert(1)>')
# Not in the Word form (XML has no ESC): subject, sender's name, body, file name.
TERMINAL = "[/] [link=https://evil.test]x[/link] \x1b]0;kapad\x07\x1b[2J \x9b1m \u202eabc\u202c"
RAW_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]|\r(?!\n)")
AS_OF = date(2026, 4, 20)          # a Monday; cases from January are overdue, March ones are due soon

# How a number is written: (century, yymmdd, tail) → text.  The first six are the spellings of old.
SPELLINGS = {
    "YYMMDD-NNNN": lambda c, d, t: f"{d}-{t}",
    "YYMMDDNNNN": lambda c, d, t: f"{d}{t}",
    "YYYYMMDD-NNNN": lambda c, d, t: f"{c}{d}-{t}",
    "YYYYMMDDNNNN": lambda c, d, t: f"{c}{d}{t}",
    "YYMMDD+NNNN": lambda c, d, t: f"{d}+{t}",
    "YYMMDD NNNN": lambda c, d, t: f"{d} {t}",
    "YYMMDD–NNNN (en dash)": lambda c, d, t: f"{d}–{t}",
    "YYYYMMDD–NNNN (en dash)": lambda c, d, t: f"{c}{d}–{t}",
    "YYMMDD—NNNN (em dash)": lambda c, d, t: f"{d}—{t}",
    "YYMMDD\u00a0NNNN (no-break space)": lambda c, d, t: f"{d}\u00a0{t}",
    "BUS-avvikelse-YYMMDD-NNNN (hyphen before)": lambda c, d, t: f"BUS-avvikelse-{d}-{t}",
    "Enhet-YYYYMMDDNNNN (letters, hyphen before)": lambda c, d, t: f"Enhet-{c}{d}{t}",
    "xYYMMDD–NNNNy (letters both sides)": lambda c, d, t: f"x{d}–{t}y",
    "Enhet-YYMMDDNNNN (hyphen before, no separator)": lambda c, d, t: f"Enhet-{d}{t}",
}
SLOTS = 12                         # numbers per deviation mail (see corpus)
PURE: dict[str, str] = {}          # event type's start → the one spelling of that case's numbers


def _luhn_digit(nine: str) -> int:
    total = 0
    for i, ch in enumerate(nine):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return (10 - total % 10) % 10


def numbers(rng: random.Random, valid: bool, offset: int,
            pure: bool = False) -> tuple[list[str], list[tuple[str, str]]]:
    """SLOTS numbers, slot k written in spelling (k + offset), or all in spelling `offset` when pure; every third
    a samordningsnummer (day + 60). Returns the texts and each number's (six date digits, last four)."""
    spellings = list(SPELLINGS.values())
    texts, parts = [], []
    for k in range(SLOTS):
        year = rng.randint(2005, 2020)
        month, day = rng.randint(1, 12), rng.randint(1, 28) + (60 if k % 3 == 2 else 0)
        yymmdd = f"{year % 100:02d}{month:02d}{day:02d}"
        serial = f"{rng.randint(0, 999):03d}"
        check = _luhn_digit(yymmdd + serial)
        tail = serial + str(check if valid else (check + rng.randint(1, 9)) % 10)
        texts.append(spellings[(offset + (0 if pure else k)) % len(spellings)](str(year)[:2], yymmdd, tail))
        parts.append((yymmdd, tail))
    return texts, parts


def _deviation(i: int, nums: list[str], received: datetime) -> bytes:
    payload = PAYLOADS[i % 2]
    event = f"Händelse {i} {payload} gäller barn {nums[0]}"
    values = dict(SAMPLE_VALUES, event_type=event,
                  description=f"Barnet {nums[1]} {payload}\nSyskon {nums[2]}",
                  units_involved=[f"BUP {payload}", f"Skolan {nums[3]}"], reporter_unit=f"Enhet {nums[10]}",
                  personal_data_contact=f"Kontakt {nums[4]}", proposed_action=f"Åtgärd {nums[11]}",
                  reported_date=received.date())
    return make_mail(
        subject=f"BUS-avvikelse {nums[5]} {payload} {TERMINAL}",
        # (the '"><img' payload beside a non-ASCII dash would make Python's header folding break the mail)
        sender=f'"Chef {payload if chr(34) not in payload else ""} {nums[6]}" <rapportor{i}@bup.sll.se>',
        to=[f"mottagare{i}@socialtjanst.stockholm.se"], cc=list(SECRETARIAT), when=received,
        message_id=f"<privacy-{i}@{harness.DOMAIN}>", body=f"Gäller {nums[7]} och {nums[8]}. {payload} {TERMINAL}",
        attachments=[(f"Avvikelse {nums[9]} {payload} {TERMINAL}.docx", build_form(values))])


def corpus(n: int, rng: random.Random) -> tuple[list[bytes], list[tuple[str, str]], list[str], dict[str, bool]]:
    """(mails, valid numbers as (date, last four), invalid numbers as written, {event type: carries a valid one})."""
    mails, valid_all, invalid_all, carries, pure_spelling = [], [], [], {}, PURE
    for i in range(n):
        valid = i % 2 == 0
        # every fourth case (from the third) writes all its numbers in one spelling, the new ones first: flagged?
        pure = i % 4 == 2
        nums, parts = numbers(rng, valid, 6 + i // 4 if pure else i, pure)
        if pure:
            pure_spelling[f"Händelse {i} "] = list(SPELLINGS)[(6 + i // 4) % len(SPELLINGS)]
        if valid:
            valid_all.extend(parts)
        else:
            invalid_all.extend(nums)
        payload = PAYLOADS[i % 2]
        # overdue (January), due within 14 days (March) or new in the digest's week (April 13-19)
        received = (datetime(2026, 1, 8, 9, tzinfo=UTC), datetime(2026, 2, 25, 9, tzinfo=UTC),
                    datetime(2026, 4, 13, 9, tzinfo=UTC))[i % 3] + timedelta(days=i // 3 % 6)
        carries[f"Händelse {i} "] = valid
        mails.append(_deviation(i, nums, received))
        week = datetime(2026, 4, 14, 10, tzinfo=UTC) + timedelta(hours=i)
        if i % 6 == 0:      # an answer this week, and a mail nobody can link, both carrying the same
            source = f"<privacy-{i}@{harness.DOMAIN}>"
            mails.append(make_mail(
                subject=f"SV: BUS-avvikelse {nums[5]} {payload}", to=[f"rapportor{i}@bup.sll.se"],
                sender=f'"Svar {payload}" <mottagare{i}@socialtjanst.stockholm.se>', cc=list(SECRETARIAT),
                when=week, message_id=f"<privacy-answer-{i}@x.se>", in_reply_to=source, references=[source],
                body=f"Vi har utrett. Barnet {nums[1]}. {payload}"))
            mails.append(make_mail(
                subject=f"Fråga om {nums[2]} {payload} {TERMINAL}", sender=f'"Okänd {nums[3]}" <okand{i}@example.se>',
                to=list(SECRETARIAT), when=week, message_id=f"<privacy-other-{i}@x.se>",
                body=f"{nums[0]} {payload}"))
    return mails, valid_all, invalid_all, carries
