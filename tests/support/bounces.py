"""A delivery report (DSN) of one of our mails, from the fixture tests/fixtures/bounces/dsn_5_1_1.eml."""
from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bounces"
PNR = "19121212-1212"      # a valid (Luhn) test personnummer, in the fixture's diagnostic text
DEAD = "chef@bup.sll.se"


def dsn_of(original: bytes, recipient: str = DEAD) -> bytes:
    """A delivery report (RFC 3464, as Postfix writes it: 5.1.1 User unknown) returning the headers of `original`."""
    headers = original.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    template = (FIXTURES / "dsn_5_1_1.eml").read_bytes()
    return template.replace(b"@RECIPIENT@", recipient.encode()).replace(b"@HEADERS@", headers)
