"""Bad input: property tests of parse_email / parse_form (hypothesis) and the mutation fuzzer of tests/support/fuzz.py
over real fixtures through the whole pipeline, with one 50 MB attachment; peak memory bounded.

Long version: `tests/support/fuzz.py` (10,000 cases; figures in docs/RELIABILITY.md).
"""
from __future__ import annotations

import io
import json
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.rules import default_rules
from parsers.form import parse_form
from parsers.mail import parse_email
from parsers.types import FormResult, ParsedEmail
from tests.support import fuzz
from tests.support.formbuilder import SAMPLE_VALUES, build_form

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

RULES = default_rules()
FORM = build_form(SAMPLE_VALUES)
SEEDS = [data for _n, data, _b in fuzz.build_corpus().mails]
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.binary(max_size=4000))
def test_parse_email_never_raises_on_any_bytes(data: bytes) -> None:
    assert isinstance(parse_email(data, RULES), ParsedEmail)


header_value = st.text(st.characters(codec="utf-8"), max_size=300) | st.binary(max_size=300).map(
    lambda b: b.decode("latin-1"))


@FAST
@given(subject=header_value, sender=header_value, charset=st.sampled_from(
    ["utf-8", "iso-8859-1", "utf-16", "x-bogus", "\ufffdtf-8", "", "utf-7"]), word=st.binary(max_size=60))
def test_parse_email_never_raises_on_odd_headers(subject: str, sender: str, charset: str, word: bytes) -> None:
    head = f"Subject: {subject}\r\nFrom: {sender}\r\nTo: =?{charset}?B?{word.hex()}?=\r\n"
    raw = head.encode("utf-8", "surrogateescape") + (
        f'Content-Type: text/plain; charset="{charset}"\r\n'
        f'Content-Disposition: attachment; filename="=?{charset}?Q?blankett?=.docx"\r\n\r\n').encode() + word
    parsed = parse_email(raw, RULES)
    assert isinstance(parsed, ParsedEmail)


@FAST
@given(seed=st.integers(0, len(SEEDS) - 1), mutator=st.sampled_from(sorted(fuzz.MUTATORS)),
       rnd=st.randoms(use_true_random=False))
def test_parse_email_never_raises_on_mutated_fixtures(seed: int, mutator: str, rnd: random.Random) -> None:
    assert isinstance(parse_email(fuzz.MUTATORS[mutator](SEEDS[seed], rnd), RULES), ParsedEmail)


@FAST
@given(st.binary(max_size=4000))
def test_parse_form_never_raises_on_any_bytes(data: bytes) -> None:
    result = parse_form(data, RULES.form)
    assert isinstance(result, FormResult)
    assert result.form is not None or result.problems or data.startswith(b"PK")


@FAST
@given(part=st.sampled_from(zipfile.ZipFile(io.BytesIO(FORM)).namelist()), junk=st.binary(max_size=2000),
       keep=st.floats(0, 1))
def test_parse_form_never_raises_on_a_damaged_part(part: str, junk: bytes, keep: float) -> None:
    src = zipfile.ZipFile(io.BytesIO(FORM))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in src.namelist():
            data = src.read(name)
            zf.writestr(name, data[: int(len(data) * keep)] + junk if name == part else data)
    assert isinstance(parse_form(out.getvalue(), RULES.form), FormResult)


def test_xxe_in_every_xml_part_is_not_expanded() -> None:
    result = parse_form(fuzz.broken_attachment("xxe_everywhere", random.Random(1)), RULES.form)
    assert fuzz.PASSWD_MARK not in repr(result)


def test_mutation_fuzzer_through_the_pipeline_with_a_50_mb_attachment(tmp_path: Path) -> None:
    """A subprocess, so that its peak memory is its own."""
    done = subprocess.run([sys.executable, str(Path(fuzz.__file__)), "--cases", "300", "--big-mb", "50",
                           "--seed", "7", "--db", f"sqlite:///{tmp_path / 'fuzz.db'}", "--json"],
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    f = json.loads(done.stdout.splitlines()[-1])
    assert f["cases"] == 302 and f["kinds"]["big"] == 1 and f["kinds"]["inflated"] == 1 and f["kinds"]["nested"] > 0
    assert f["pipeline_crashes"] == 0, f["crash_kinds"]
    assert f["parse_email_raised"] == 0, f["parse_email_raised_kinds"]
    assert (f["stored"], f["lost"]) == (302, 0), f["lost_uids"]
    assert f["bad_attachments_without_code"] == 0, f["missing_code_by_kind"]
    assert f["internal_error_rows"] == 0 and f["xxe_leaks"] == 0
    assert f["problem_codes"]["attachment_too_large"] >= 1           # the zip bombs and the 50 MB file
    assert f["peak_rss_cases_mb"] < 400, f                           # ordinary bad mail: about 100 MB here
    assert f["peak_rss_big_mb"] - f["rss_before_big_mb"] < 1200, f   # a 68 MB message: about 600 MB here
    # the .docx that inflates to 48 MB (1.6 GB when read whole): refused unread, in every process
    assert f["peak_rss_inflated_docx_mb"] < 400 and f["peak_rss_parser_processes_inflated_docx_mb"] < 400, f
    assert 0 < f["peak_rss_parser_processes_mb"] < 1200, f


def test_mutation_fuzzer_stores_every_case_parsed_on_postgresql(pg_url: str) -> None:
    """PostgreSQL refuses what SQLite takes (NUL in text, over-long keys): every fuzzed mail must still be
    stored parsed there, never only as an unparsed row."""
    done = subprocess.run([sys.executable, str(Path(fuzz.__file__)), "--cases", "200", "--big-mb", "0",
                           "--seed", "11", "--inflated-mb", "0", "--db", pg_url, "--json"],
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    f = json.loads(done.stdout.splitlines()[-1])
    assert (f["stored"], f["lost"], f["pipeline_crashes"]) == (200, 0, 0), f["lost_uids"]
    assert f["internal_error_rows"] == 0
