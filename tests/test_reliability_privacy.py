"""Privacy and escaping: personnummer and samordningsnummer (valid and invalid Luhn) in every spelling (dashes,
a space, a plus, nothing; letters or a hyphen right before) and HTML and terminal payloads in every
mail-derived field, through poll (JSON and text logs at DEBUG), digest, reminders (dry run and the mail in the
SMTP sink), the yearly report (.xlsx read back), exports and the read commands.  Long version:
tests/support/privacy.py.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import privacy


@pytest.mark.integration
def test_no_valid_number_in_any_output_and_the_digest_escapes_mail_text(tmp_path: Path) -> None:
    f = privacy.run(tmp_path, cases=18, seed=5)
    assert privacy.failures(f) == [], f
    assert f["cases_stored"] == 18 and f["command_exits"] == {}, f
    assert f["reminders_sent"] >= 2                                   # the sink's mail was looked at too
    assert f["leaked_valid_numbers"] == 0, f["leaks_by_output"]      # digest, logs, report, reminders, CLI
    assert f["invalid_numbers_flagged"] == 0 and f["valid_numbers_not_flagged"] == 0, f
    assert f["one_spelling_cases"] == 4 and f["one_spelling_cases_not_flagged"] == [], f
    assert f["raw_controls_in_terminal_output"] == 0, f["raw_controls_by_output"]
    assert f["invalid_numbers_shown_in_exports"] > 0                  # invalid ones are left alone
    assert f["leaked_in_exports_as_received"] > 0                     # the grep finds what is there
    assert f["digest_unescaped_payloads"] == 0, f
    assert f["digest_escaped_payloads"] >= 6, f                       # the payloads are there, escaped


def test_text_log_lines_carry_the_utc_offset_and_no_scheduler_chatter() -> None:
    import io
    import logging
    import re

    from busavvik.logs import setup_logging
    root = logging.getLogger()
    handlers, level, scheduler_level = root.handlers[:], root.level, logging.getLogger("apscheduler").level
    try:
        setup_logging("text", "INFO")
        stream = io.StringIO()
        root.handlers[0].setStream(stream)  # type: ignore[attr-defined]
        logging.getLogger("busavvik.worker").info("polled")
        logging.getLogger("apscheduler.scheduler").info("Running job")
        logging.getLogger("apscheduler.scheduler").warning("Run time of job was missed")
        lines = stream.getvalue().splitlines()
        assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d{4} INFO busavvik.worker: polled$", lines[0])
        assert len(lines) == 2 and "missed" in lines[1]
        setup_logging("text", "DEBUG")
        assert logging.getLogger("apscheduler").isEnabledFor(logging.INFO)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        logging.getLogger("apscheduler").setLevel(scheduler_level)
