"""Mail text in every output: personnummer in every spelling redacted (and the case flagged), and hostile text
(rich markup, ESC/C1/bidi controls) shown as plain, printable text — through the real command line on SQLite
and PostgreSQL, the reminder through a real SMTP server.

Each fixture mail is written to a file named after the case it pins down.
"""
from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from busavvik.cli import app
from parsers import pnr
from tests.support.formbuilder import SAMPLE_VALUES, build_form
from tests.support.mailbuilder import SECRETARIAT, make_mail
from tests.support.servers.smtpsink import SmtpSink

WHEN = datetime(2026, 1, 16, 9, tzinfo=UTC)          # a Friday; due 2026-03-16, a Monday
RECEIVER = "chef.mottagare@socialtjanst.stockholm.se"

# case name → (text as written, (date part, last four)); every number Luhn-valid (checked below)
SPELLINGS: dict[str, tuple[str, tuple[str, str]]] = {
    "pnr_en_dash": ("191010–4445", ("191010", "4445")),
    "pnr_hyphen_before": ("BUS-avvikelse-170808-3330", ("170808", "3330")),
    "pnr_twelve_digits_after_letters_and_hyphen": ("Enhet-201304041112", ("20130404", "1112")),
    "samordningsnummer_en_dash": ("Barn 701063–2391", ("701063", "2391")),
    "pnr_space_plus_old_spellings": ("191010 4445 och 121212+1212", ("121212", "1212")),
}


def _leaks(text: str, number: tuple[str, str]) -> list[str]:
    return re.findall(rf"{number[0]}\D{{0,3}}{number[1]}", text)


def _config(tmp_path: Path, db_url: str, sink_port: int = 1) -> Path:
    path = tmp_path / "busavvik.toml"
    path.write_text(f"[database]\nurl = {json.dumps(db_url)}\n\n"
                    f"[smtp]\nhost = \"127.0.0.1\"\nport = {sink_port}\nsecurity = \"none\"\nretries = 0\n\n"
                    "[reminders]\nenabled = true\nstart_date = \"2026-01-01\"\n", encoding="utf-8")
    return path


def _cli(config: Path, *args: str) -> Result:
    result = CliRunner().invoke(app, ["--config", str(config), *args], env={"BUSAVVIK_DATABASE_URL": None,
                                                                            "BUSAVVIK_CONFIG": None})
    return result


def _ok(config: Path, *args: str) -> str:
    result = _cli(config, *args)
    assert result.exit_code == 0 and result.exception is None, (args, result.output, result.exception)
    return result.stdout + result.stderr


def _deviation(case: str, text: str, subject: str | None = None, **form: Any) -> bytes:
    values = dict(SAMPLE_VALUES, event_type=f"Händelse {text}", description=f"Gäller {text}\nmer", **form)
    return make_mail(subject=subject or f"BUS-avvikelse {text}", sender=f'"Chef {text}" <rapportor@bup.sll.se>',
                     to=[RECEIVER], cc=list(SECRETARIAT), when=WHEN, message_id=f"<{case}@bup.sll.se>",
                     body=f"Hej, gäller {text}.", attachments=[(f"Avvikelse {text}.docx", build_form(values))])


def _question(case: str, subject: str) -> bytes:
    return make_mail(subject=subject, sender='"Okänd" <okand@example.se>', to=list(SECRETARIAT), when=WHEN,
                     message_id=f"<{case}-question@example.se>", body="En fråga.")


def _import(tmp_path: Path, config: Path, mails: dict[str, bytes]) -> None:
    folder = tmp_path / "storsthlm"
    folder.mkdir()
    for name, data in mails.items():
        (folder / f"{name}.eml").write_bytes(data)
    _ok(config, "import", "-q", str(folder))


def _every_output(tmp_path: Path, config: Path, mail: Path) -> dict[str, str]:
    html, xlsx = tmp_path / "digest.html", tmp_path / "report.xlsx"
    outputs = {" ".join(args): _ok(config, *args) for args in (
        ("problems",), ("problems", "--format", "json"), ("show", "BUS-2026-0001"), ("cases",),
        ("export", "deviations", "--redact"), ("export", "messages", "--redact"),
        ("export", "deviations", "--redact", "--format", "csv"), ("overdue", "--as-of", "2026-04-01"),
        ("overdue", "--as-of", "2026-04-01", "--format", "json"), ("status",),
        ("digest", "--as-of", "2026-01-19"), ("digest", "--as-of", "2026-01-19", "--out", str(html)),
        ("rules", "check", str(mail)), ("remind", "--as-of", "2026-03-16", "--dry-run"),
        ("remind", "--as-of", "2026-03-16"), ("report", "--year", "2026", "--out", str(xlsx)))}
    outputs["digest html"] = html.read_text(encoding="utf-8")
    import openpyxl
    book = openpyxl.load_workbook(xlsx, read_only=True)
    outputs["report xlsx"] = "\n".join(str(c) for sheet in book.worksheets
                                       for row in sheet.iter_rows(values_only=True) for c in row if c is not None)
    return outputs


def test_the_spellings_are_luhn_valid_and_a_longer_digit_run_is_not_cut() -> None:
    for text, (date_part, tail) in SPELLINGS.values():
        assert pnr._luhn_ok(date_part[-6:] + tail), text
        assert pnr.redact(text).count(pnr.REDACTED) >= 1 and not _leaks(pnr.redact(text), (date_part, tail)), text
    for longer in ("11910104445", "19101044451", "2019101044451", "551910104445"):
        assert pnr.redact(longer) == longer and not pnr.contains(longer), longer
    assert pnr.find_count("x191010–4445y Enhet-201304041112 BUS-avvikelse-170808-3330") == 3


@pytest.mark.integration
@pytest.mark.parametrize("case", list(SPELLINGS))
def test_personnummer_spelling_redacted_in_every_output_and_case_flagged(case: str, db_url: str,
                                                                        tmp_path: Path) -> None:
    text, number = SPELLINGS[case]
    deviation = _deviation(case, text)
    with SmtpSink(tmp_path / "sink") as sink:
        config = _config(tmp_path, db_url, sink.port)
        _import(tmp_path, config, {f"{case}-deviation": deviation,
                                   f"{case}-question": _question(case, f"Fråga om {text}")})
        mail = tmp_path / "storsthlm" / f"{case}-deviation.eml"
        outputs = _every_output(tmp_path, config, mail)
        sent = sink.messages()
    assert len(sent) == 1
    msg = sent[0].message()
    outputs["reminder mail"] = f"{msg['Subject']}\n{msg.get_body(('plain',)).get_content()}\n{sent[0].data!r}"
    leaked = {name: _leaks(out, number) for name, out in outputs.items() if _leaks(out, number)}
    assert leaked == {}, leaked
    assert "[personnummer]" in outputs["show BUS-2026-0001"] and "[personnummer]" in outputs["reminder mail"]
    plain = json.loads(_ok(config, "export", "deviations"))
    assert "personal_identity_number" in plain[0]["flags"], plain[0]["flags"]
    assert _leaks(json.dumps(plain, ensure_ascii=False), number)      # the export without --redact: as received


HOSTILE = {
    "subject_closing_markup_tag": "BUS-avvikelse [/] [bold]fet[/bold] [link=https://evil.test]klicka[/link]",
    "subject_escape_sequences": ("BUS-avvikelse \x1b]0;kapad titel\x07\x1b[2J\x1b[H"
                                 "\x1b]8;;https://evil.test\x1b\\klicka\x1b]8;;\x1b\\ slut"),
    "subject_c1_del_and_bidi_controls": "BUS-avvikelse \x9b2J \x7f \u202egnitpecxe\u202c \x90 :warning:",
}
RAW_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_subject_is_plain_printable_text_in_every_command(case: str, db_url: str, tmp_path: Path) -> None:
    subject = HOSTILE[case]
    config = _config(tmp_path, db_url)
    _import(tmp_path, config, {f"{case}-deviation": _deviation(case, "Uteblivet möte", subject=subject),
                               f"{case}-question": _question(case, subject)})
    for args in (("problems",), ("show", "BUS-2026-0001"), ("digest", "--as-of", "2026-01-19"),
                 ("rules", "check", str(tmp_path / "storsthlm" / f"{case}-question.eml")),
                 ("problems", "--format", "json"), ("export", "messages")):
        output = _ok(config, *args)
        assert not RAW_CONTROLS.search(output), (args, output)
        assert "BUS-avvikelse" in output, (args, output)
        if case == "subject_closing_markup_tag" and args[0] != "export" and "json" not in args:
            assert "[/] [bold]fet[/bold] [link=https://evil.test]" in output, (args, output)   # as written
    shown = _ok(config, "show", "BUS-2026-0001")
    if case == "subject_escape_sequences":
        assert "␛]0;kapad titel␇␛[2J" in shown                       # visible, not acted on
    if case == "subject_c1_del_and_bidi_controls":
        assert ":warning:" in shown and "⚠" not in shown               # no emoji codes either


def test_markup_in_a_form_field_and_file_name_is_shown_as_written_by_rules_check(tmp_path: Path) -> None:
    case = "form_field_and_attachment_name_with_markup"
    mail = tmp_path / f"{case}.eml"
    form = build_form(dict(SAMPLE_VALUES, event_type="Händelse [/] [red]röd[/red]"))
    mail.write_bytes(make_mail(subject="BUS-avvikelse", sender="rapportor@bup.sll.se", to=[RECEIVER], when=WHEN,
                               attachments=[("Avvikelse [/] [red]röd[/red] \x1b[31m.docx", form)]))
    output = _ok(_config(tmp_path, f"sqlite:///{tmp_path / 'unused.db'}"), "rules", "check", str(mail))
    assert "Händelse [/] [red]röd[/red]" in output and "Avvikelse [/] [red]röd[/red] ␛[31m.docx" in output
    assert not RAW_CONTROLS.search(output)
