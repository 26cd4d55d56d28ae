"""A mail and its form in one pure step: the best form among the Word attachments."""
from __future__ import annotations

import dataclasses

from config.rules import Rules
from parsers import pnr
from parsers.classify import classify
from parsers.form import parse_form
from parsers.mail import parse_email
from parsers.types import Attachment, FormData, ParsedEmail, Problem


def _best(parsed: ParsedEmail, rules: Rules) -> tuple[tuple[Attachment, FormData] | None, tuple[Problem, ...]]:
    """The attachment with the best form (filled section 4, then 1–3, the message's own first) and its form."""
    problems: list[Problem] = []
    best: tuple[int, Attachment, FormData] | None = None
    for att in parsed.attachments:
        result = parse_form(att.data, rules.form, att.filename)
        problems.extend(result.problems)
        if result.form is None:
            continue
        score = 4 * result.form.has_response + 2 * result.form.has_report + (not att.forwarded)
        if best is None or score > best[0]:
            best = (score, att, result.form)
    return ((best[1], best[2]) if best else None), tuple(problems)


def best_form(parsed: ParsedEmail, rules: Rules) -> tuple[FormData | None, tuple[Problem, ...]]:
    """The best form among the Word attachments (filled section 4, then 1–3, the message's own first)."""
    found, problems = _best(parsed, rules)
    return (found[1] if found else None), problems


def form_attachment(raw: bytes, rules: Rules) -> Attachment | None:
    """The Word document the form of the stored mail `raw` was read from (its file name and bytes), or None.

    The same choice as `parse_mail_and_form`, so a reminder attaches the very form its case was opened from,
    also when it came inside a forwarded mail, an Outlook .msg or a winmail.dat."""
    found, _ = _best(parse_email(raw, rules), rules)
    return found[0] if found else None


def parse_mail_and_form(raw: bytes, rules: Rules) -> tuple[ParsedEmail, FormData | None, tuple[Problem, ...]]:
    """Both parses; the attachments' bytes are dropped from the returned mail (they are in the form now), but
    for the Word document the form was read from (`form_file`: a deviation keeps it for its reminders)."""
    parsed = parse_email(raw, rules)
    found, problems = _best(parsed, rules)
    form = found[1] if found else None
    slim = tuple(dataclasses.replace(a, data=b"") for a in parsed.attachments)
    names = [a.filename for a in parsed.attachments] + [parsed.sender.name if parsed.sender else ""]
    texts = [parsed.body_text, parsed.subject, *names, *_form_texts(form)]
    has_pnr = any(pnr.contains(t) for t in texts)
    classification = None
    if form is not None and form.has_report and not parsed.auto_reply:
        classification = classify(form, parsed.sender, (*parsed.to, *parsed.cc), rules)
    return dataclasses.replace(parsed, attachments=slim, personal_number=has_pnr, classification=classification,
                               form_file=found[0] if found else None), form, problems


def _form_texts(form: FormData | None) -> list[str]:
    if form is None:
        return []
    values = (getattr(form, f.name) for f in dataclasses.fields(form) if f.name != "trace")
    return [" ".join(v) if isinstance(v, tuple) else str(v) for v in values if v]
