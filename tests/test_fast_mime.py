"""parsers.fastmime builds exactly the stdlib's compat32 tree, and the fast paths change no parse result.

Differential: every real-world mail, the test corpus, realistic benchmark mail, fuzzed mail, hand-made
malformed mail and random line-level mutations are loaded both ways and compared part by part.
"""
from __future__ import annotations

import random
import re
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.rules import default_rules
from parsers import fastmime, pnr
from parsers.mail import parse_email
from parsers.mailform import parse_mail_and_form
from tests.corpus import build as build_corpus
from tests.shared_corpus import shared_dir, shared_files
from tests.support import fuzz
from tests.support.busmail import realistic_bus_messages

RULES = default_rules()
REALMAIL = shared_files("realmail", "*.eml")
CORPUS = [data for _name, data, _boxes in build_corpus().mails]
REALISTIC = list(realistic_bus_messages(300))
FUZZED = [case.data for case in fuzz.cases(60, seed=7)]


def _part_record(part: Message) -> dict[str, Any]:
    payload = part.get_payload()
    record: dict[str, Any] = {
        "raw_headers": list(part._headers),  # the exact parsed header list
        "items": [(k, str(v)) for k, v in part.items()],
        "content_type": part.get_content_type(), "default_type": part.get_default_type(),
        "unixfrom": part.get_unixfrom(), "multipart": part.is_multipart(),
        "parts": len(payload) if isinstance(payload, list) else None,
        "preamble": part.preamble, "epilogue": part.epilogue,
        "defects": [(type(d).__name__, str(d)) for d in part.defects],
    }
    if not part.is_multipart():
        record["payload"] = payload
        try:
            record["decoded"] = part.get_payload(decode=True)
        except Exception as exc:  # noqa: BLE001 - the same exception on both sides is fine
            record["decoded"] = type(exc).__name__
        record["defects_after_decode"] = [type(d).__name__ for d in part.defects]
    return record


def tree(msg: Message) -> list[dict[str, Any]]:
    return [_part_record(part) for part in msg.walk()]


def assert_same_tree(raw: bytes) -> bool:
    """The fast loader's tree equals the stdlib's; True when the fast path was taken."""
    fast = fastmime.fast_load(raw)
    expected = tree(fastmime.stdlib_load(raw))
    assert tree(fastmime.load(raw)) == expected
    if fast is not None:
        assert tree(fast) == expected
    return fast is not None


@contextmanager
def reference_parsers() -> Iterator[None]:
    """The parsers as they were: the stdlib loader and a full personnummer scan of every text."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("parsers.mail._load", fastmime.stdlib_load)
        mp.setattr(pnr, "contains", lambda text: pnr.find_count(text) > 0)
        yield


def assert_same_results(raw: bytes) -> None:
    fast = parse_mail_and_form(raw, RULES)
    with reference_parsers():
        assert parse_mail_and_form(raw, RULES) == fast


# ---- real and generated mail ----------------------------------------------------------------------------------

def test_realmail_corpus_is_there() -> None:
    assert len(list(shared_dir("realmail").glob("*.eml"))) >= 72


@pytest.mark.parametrize("path", REALMAIL, ids=lambda p: p.name)
def test_realmail_same_tree_and_results(path: Path) -> None:
    raw = path.read_bytes()
    assert_same_tree(raw)
    assert_same_results(raw)


def test_realmail_mostly_takes_the_fast_path() -> None:
    files = sorted(shared_dir("realmail").glob("*.eml"))
    assert sum(fastmime.fast_load(p.read_bytes()) is not None for p in files) >= 40


def test_test_corpus_same_tree_and_results() -> None:
    for raw in CORPUS:
        assert assert_same_tree(raw), "the test corpus is clean mail: it must take the fast path"
        assert_same_results(raw)


def test_realistic_messages_same_tree_and_results() -> None:
    for raw in REALISTIC:
        assert assert_same_tree(raw), "realistic BUS mail must take the fast path"
        assert_same_results(raw)
    with_lf = [raw.replace(b"\r\n", b"\n") for raw in REALISTIC[:40]]
    for raw in with_lf:
        assert assert_same_tree(raw)
        assert_same_results(raw)


def test_fuzzed_messages_same_tree_and_mail() -> None:
    for raw in FUZZED:
        assert_same_tree(raw)
        with reference_parsers():
            expected = parse_email(raw, RULES)
        assert parse_email(raw, RULES) == expected


# ---- hand-made cases ------------------------------------------------------------------------------------------

def _mp(parts: list[str], boundary: str = "b0undary", ctype: str = "multipart/mixed", preamble: str = "",
        epilogue: str = "", close: str = "--\r\n", head: str = "Subject: t\r\n") -> str:
    body = "".join(f"--{boundary}\r\n{p}\r\n" for p in parts)
    return f'{head}Content-Type: {ctype}; boundary="{boundary}"\r\n\r\n{preamble}{body}--{boundary}{close}{epilogue}'


TEXT = "Content-Type: text/plain; charset=utf-8\r\n\r\nHej!\r\n"
B64 = "Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\nAAAA--b0undaryAAAA\r\n"
RFC822 = "Content-Type: message/rfc822\r\n\r\nSubject: inner\r\nFrom: a@b.se\r\n\r\ninner body\r\n"
INNER = _mp([TEXT, "Content-Type: text/html\r\n\r\n<p>Hej</p>"], boundary="inner", ctype="multipart/alternative",
            head="")

CLEAN = {
    "simple": _mp([TEXT, B64]),
    "lf only": _mp([TEXT, B64]).replace("\r\n", "\n"),
    "mixed line ends": _mp([TEXT.replace("\r\n", "\n"), B64]),
    "preamble and epilogue": _mp([TEXT], preamble="This is MIME.\r\n\r\n", epilogue="bye\r\n--b0undary\r\n"),
    "blank preamble": _mp([TEXT], preamble="\r\n"),
    "close at eof": _mp([TEXT], close="--"),
    "close with blanks": _mp([TEXT], close="-- \t\r\n"),
    "separator with blanks": _mp([TEXT]).replace("--b0undary\r\n", "--b0undary  \r\n", 1),
    "boundary-like lines": _mp(["\r\n--b0undaryX\r\n --b0undary\r\n--b0undary-x\r\n"]),
    "nested": _mp([TEXT, INNER, B64]),
    "nested last": _mp([TEXT, INNER]),
    "nested epilogue": _mp([INNER + "\r\ninner epilogue\r\n", TEXT]),
    "rfc822": _mp([TEXT, RFC822]),
    "rfc822 with multipart": _mp([TEXT, "Content-Type: message/rfc822\r\n\r\n" + INNER]),
    "rfc822 empty": _mp(["Content-Type: message/rfc822\r\n"]),
    "rfc822 root": "Content-Type: message/rfc822\r\n\r\n" + _mp([TEXT], head="Subject: inner\r\n"),
    "headers only part": _mp(["Content-Type: text/plain"]),
    "no headers part": _mp(["\r\nno headers here"]),
    "empty body part": _mp([""]),
    "blank lines part": _mp(["\r\n\r\n\r\n"]),
    "lone cr in body": _mp([TEXT + "a\rb\r"]),
    "8bit": _mp([TEXT + "r\xe4ksm\xf6rg\xe5s"], head="Subject: \xe5\xe4\xf6\r\n"),
    "quoted boundary with space": _mp([TEXT], boundary="a b c"),
    "rfc2231 boundary": _mp([TEXT]).replace('boundary="b0undary"', "boundary*=''b0undary"),
    "two content types": "Content-Type: text/plain\r\n" + _mp([TEXT]),
    "prefix boundaries": _mp([_mp([TEXT], boundary="abc-1", head=""), TEXT], boundary="abc"),
    "continuation blank": "Subject: a\r\n \r\nFrom: x@y.se\r\n\r\nbody",
    "empty": "",
    "only blank": "\r\n",
    "headers only": "Subject: no body",
    "text root": "Subject: t\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nr=C3=A4k\r\n",
    "multipart 7bit cte": _mp([TEXT], head="Content-Transfer-Encoding: 7bit\r\n"),
}
UNSURE = {
    "missing close": _mp([TEXT]).rsplit("--b0undary--", 1)[0],
    "missing close nested": _mp([_mp([TEXT], boundary="inner", close="\r\n", head=""), TEXT]),
    "no start boundary": "Content-Type: multipart/mixed; boundary=x\r\n\r\njust text\r\n",
    "close first": "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x--\r\n--x\r\n\r\nt\r\n--x--\r\n",
    "adjacent boundaries": _mp(["", TEXT]).replace("--b0undary\r\n\r\n", "--b0undary\r\n", 1),
    "separator then close": _mp([]).replace("--b0undary--", "--b0undary\r\n--b0undary--"),
    "separator last line": 'Content-Type: multipart/mixed; boundary="x"\r\n\r\n--x\r\n',
    "no boundary parameter": "Content-Type: multipart/mixed\r\n\r\n--x\r\n\r\nt\r\n--x--\r\n",
    "base64 multipart": _mp([TEXT], head="Content-Transfer-Encoding: base64\r\n"),
    "same boundary nested": _mp([_mp([TEXT], head=""), TEXT]),
    "close-like inner": _mp([_mp([TEXT], boundary="ab--", head=""), TEXT], boundary="ab"),
    "digest": _mp(["\r\nSubject: x\r\n\r\nbody"], ctype="multipart/digest"),
    "delivery status": _mp(["Content-Type: message/delivery-status\r\n\r\nA: b\r\n\r\nC: d\r\n"]),
    "unix from": "From someone Mon Jan 1 00:00:00 2024\r\n" + _mp([TEXT]),
    "misplaced from": "Subject: x\r\nFrom nobody\r\nTo: a@b.se\r\n\r\nbody",
    "first line continuation": " folded\r\n" + _mp([TEXT]),
    "no header name": ": value\r\n" + _mp([TEXT]),
    "missing separator": "Subject: x\r\nnot a header\r\n\r\nbody",
    "part missing separator": _mp(["Content-Type: text/plain\r\nno colon here"]),
    "lone cr in headers": "Subject: a\rb\r\n\r\nbody",
    "lone cr blank line": "Subject: a\r\n\rbody\r\n",
    "boundary after lone cr": _mp([TEXT + "x\r--b0undary\r\nmore"]),
    "boundary ending in lone cr": _mp([TEXT]).replace("--b0undary\r\nContent", "--b0undary\rContent", 1),
    "lone cr at eof": "Subject: x\r",
    "boundary with newline": 'Content-Type: multipart/mixed; boundary="a\r\n b"\r\n\r\n--a\r\n\r\nt\r\n--a--\r\n',
    "deep nesting": fuzz.nested(_mp([TEXT]).encode(), random.Random(1), depth=14).decode("latin-1"),
}


@pytest.mark.parametrize("name", sorted(CLEAN))
def test_clean_hand_made_take_the_fast_path(name: str) -> None:
    raw = CLEAN[name].encode("latin-1")
    assert assert_same_tree(raw)
    assert_same_results(raw)


@pytest.mark.parametrize("name", sorted(UNSURE))
def test_unclean_hand_made_are_left_to_the_stdlib(name: str) -> None:
    raw = UNSURE[name].encode("latin-1")
    assert not assert_same_tree(raw)
    assert_same_results(raw)


# ---- random mutations -----------------------------------------------------------------------------------------

SEEDS = [v.encode("latin-1") for v in CLEAN.values()] + REALISTIC[:3] + CORPUS[:3]
EDITS = st.lists(st.tuples(st.sampled_from(["drop", "dup", "lf", "cr", "crlf", "sep", "close", "blank", "from",
                                            "space", "cut", "swap"]),
                           st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=6)


def _mutate(raw: bytes, edits: list[tuple[str, float, float]]) -> bytes:
    boundaries = [b.encode() for b in re.findall(r'boundary="?([^";\r\n]+)', raw.decode("latin-1"))] or [b"x"]
    lines = raw.splitlines(keepends=True) or [b""]
    for op, where, pick in edits:
        i = min(int(where * len(lines)), len(lines) - 1)
        sep = b"--" + boundaries[min(int(pick * len(boundaries)), len(boundaries) - 1)]
        line = lines[i]
        new = {"drop": [], "dup": [line, line], "lf": [line.rstrip(b"\r\n") + b"\n"],
               "cr": [line.rstrip(b"\r\n") + b"\r"], "crlf": [line.rstrip(b"\r\n") + b"\r\n"],
               "sep": [sep + b"\r\n", line], "close": [sep + b"--\r\n", line], "blank": [b"\r\n", line],
               "from": [b"From x\r\n", line], "space": [b" " + line], "cut": [line[: len(line) // 2]],
               "swap": [lines[-1 - i], line]}[op]
        lines[i:i + 1] = new
        if not lines:
            lines = [b""]
    return b"".join(lines)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, len(SEEDS) - 1), edits=EDITS)
def test_mutated_mail_same_tree(seed: int, edits: list[tuple[str, float, float]]) -> None:
    assert_same_tree(_mutate(SEEDS[seed], edits))


# ---- personnummer prefilter -----------------------------------------------------------------------------------

PNR_TEXT = st.lists(st.sampled_from(list("0123456789") * 4 + list("٣٤３４߀ -+:a\nä") + ["tel ", "19", "20"]),
                    max_size=40).map("".join)


@settings(max_examples=600, deadline=None)
@given(PNR_TEXT)
def test_pnr_contains_is_find_count(text: str) -> None:
    assert pnr.contains(text) == (pnr.find_count(text) > 0)


def test_pnr_contains_on_known_numbers() -> None:
    for text in ("811218-9876", "19811218-9876", "8112189876", "x 811218 9876", "٨١١٢١٨٩٨٧٦", "tel 8112189876",
                 "811218-9875", "", "12345", "ärende 811218+9876 åäö"):
        assert pnr.contains(text) == (pnr.find_count(text) > 0), text
