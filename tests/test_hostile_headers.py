"""Hostile headers and bodies: caps on what is read (ids, addresses, encoded words, subject), prefix stripping
and HTML text in one pass (these inputs once cost time growing with the square of their size)."""
from __future__ import annotations

from email.header import decode_header as stdlib_decode_header
from email.utils import getaddresses as stdlib_getaddresses

import pytest

from config.rules import Rules
from parsers import addresses as addresses_module
from parsers import headers as headers_module
from parsers.addresses import MAX_ADDRESSES
from parsers.headers import IDS_KEPT_FIRST, IDS_KEPT_LAST, MAX_DECODED_CHARS, MAX_TEXT_CHARS, normalise_subject
from parsers.mail import parse_email
from tests.support import hostilemail

CHEF = "chef@socialtjanst.stockholm.se"


def test_to_reads_the_first_addresses_only(rules: Rules, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    monkeypatch.setattr(addresses_module, "getaddresses",
                        lambda values: seen.append(sum(map(len, values))) or stdlib_getaddresses(values))
    raw = hostilemail.many_recipients(1_000)
    parsed = parse_email(raw, rules)
    assert [a.email for a in parsed.to] == [f"mottagare{n}@kommun.example.se" for n in range(MAX_ADDRESSES)]
    assert parsed.to[1].name == "Mottagare 1"
    assert "mail_header_capped" in {p.code for p in parsed.problems}
    # size bound: the address parser is handed about MAX_ADDRESSES addresses' worth of the header, not all of it
    assert max(seen) < 60 * MAX_ADDRESSES < len(raw) / 5


def test_references_keep_the_first_and_last_ids(rules: Rules) -> None:
    parsed = parse_email(hostilemail.many_references(1_000), rules)
    expected = [f"ref{n}.thread@example.se" for n in (*range(IDS_KEPT_FIRST), *range(1_000 - IDS_KEPT_LAST, 1_000))]
    assert list(parsed.references) == expected
    assert parsed.in_reply_to == ("ref999.thread@example.se",)
    assert "mail_header_capped" in {p.code for p in parsed.problems}


def test_a_normal_thread_is_read_whole_without_problems(rules: Rules) -> None:
    parsed = parse_email(hostilemail.many_references(40), rules)
    assert len(parsed.references) == 40 and not parsed.problems


def test_encoded_words_decoded_within_the_cap(rules: Rules, monkeypatch: pytest.MonkeyPatch) -> None:
    handed: list[int] = []
    monkeypatch.setattr(headers_module, "decode_header",
                        lambda text: handed.append(len(text)) or stdlib_decode_header(text))
    raw = hostilemail.encoded_words(5_000)          # ~115 kB of encoded words
    parsed = parse_email(raw, rules)
    assert parsed.subject.startswith("å0å1å2")
    assert max(handed) <= MAX_DECODED_CHARS
    assert "mail_header_capped" in {p.code for p in parsed.problems}


def test_subject_prefixes_stripped_and_subject_capped(rules: Rules) -> None:
    assert normalise_subject("SV: [Extern] VB: Re[2]: (EXT) Fwd : BUS-avvikelse", rules.subject_prefixes) == \
        "bus-avvikelse"
    parsed = parse_email(hostilemail.reply_prefix_subject(8_000), rules)
    assert parsed.normalised_subject == "bus-avvikelse vid hamtning" and not parsed.problems
    long = parse_email(hostilemail.reply_prefix_subject(50_000), rules)
    assert len(long.subject) <= MAX_TEXT_CHARS and "mail_header_capped" in {p.code for p in long.problems}


@pytest.mark.parametrize("build", [hostilemail.html_style_flood, hostilemail.html_tag_flood])
def test_html_without_closing_brackets_gives_its_text(build: object, rules: Rules) -> None:
    assert callable(build)
    parsed = parse_email(build(20_000), rules)
    assert parsed.body_text.startswith("Hej") and "<style" not in parsed.body_text


def test_html_text_drops_scripts_styles_and_comments(rules: Rules) -> None:
    html = ("<html><head><title>T</title><style>p {color: red}</style></head><body><p>Hej&nbsp;&amp; "
            "h&aring;</p><script>alert(1)</script><!-- dold --><div>Mvh</div></body></html>")
    raw = hostilemail.recipients_mail(CHEF).replace(b"text/plain", b"text/html").replace(
        b"Hej, se bifogad blankett.", html.encode())
    body = parse_email(raw, rules).body_text
    assert body.split() == ["Hej", "&", "hå", "Mvh"]
