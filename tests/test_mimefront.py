"""parsers/mimefront.py: mail-parser behind the caps, its results in the project's types."""
from __future__ import annotations

from config.rules import Rules
from parsers.mail import parse_email

HEAD = b"From: a@b.se\r\nTo: c@d.se\r\nMessage-ID: <m@b.se>\r\nSubject: BUS\r\nMIME-Version: 1.0\r\n"
WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _multipart(*parts: bytes) -> bytes:
    body = b"".join(b"--BB\r\n" + p + b"\r\n" for p in parts)
    return HEAD + b'Content-Type: multipart/mixed; boundary="BB"\r\n\r\n' + body + b"--BB--\r\n"


def test_a_word_file_without_a_file_name_is_read(rules: Rules) -> None:
    raw = _multipart(b"Content-Type: text/plain\r\n\r\nhej",
                     f"Content-Type: {WORD}\r\nContent-Transfer-Encoding: base64\r\n\r\nUEsgZm9ybQ==".encode())
    parsed = parse_email(raw, rules)
    assert [(a.filename, a.data) for a in parsed.attachments] == [("", b"PK form")]
    assert parsed.body_text == "hej" and not parsed.problems


def test_a_named_word_file_comes_from_mail_parser(rules: Rules) -> None:
    raw = _multipart(b"Content-Type: text/html\r\n\r\n<p>hej <b>d\xc3\xa5</b></p>",
                     b'Content-Type: application/octet-stream; name="=?utf-8?q?Avvikelse_fr=C3=A5n_BUP.docx?="\r\n'
                     b"Content-Disposition: attachment\r\nContent-Transfer-Encoding: base64\r\n\r\nUEsgZm9ybQ==")
    parsed = parse_email(raw, rules)
    assert [(a.filename, a.data, a.forwarded) for a in parsed.attachments] == \
        [("Avvikelse från BUP.docx", b"PK form", False)]
    assert parsed.body_text.split() == ["hej", "då"]


def test_mime_defects_become_mail_malformed_and_a_wrong_charset_does_not(rules: Rules) -> None:
    broken = HEAD + b'Content-Type: multipart/mixed; boundary="BB"\r\n\r\n' \
        b"--BB\r\nContent-Type: text/plain\r\n\r\nhej\r\n"   # no closing boundary
    assert [p.code for p in parse_email(broken, rules).problems] == ["mail_malformed"]
    latin1 = HEAD + b"Content-Type: text/plain; charset=utf-8\r\n\r\nh\xe4lsningar"
    parsed = parse_email(latin1, rules)
    assert parsed.body_text.startswith("h") and not parsed.problems
