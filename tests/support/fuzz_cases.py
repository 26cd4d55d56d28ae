"""The fuzz cases of tests/support/fuzz.py: the mutations of real fixtures and the broken attachments.

Split out of tests/support/fuzz.py (see its docstring for what each mutation does); fuzz.py re-exports these names.
"""
from __future__ import annotations

import base64
import io
import random
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage

from tests.support.corpus import build as build_corpus
from tests.support.formbuilder import SAMPLE_VALUES, build_broken, build_form, build_inflated
from tests.support.mailbuilder import DOCX_TYPE, SECRETARIAT, make_mail


@dataclass
class Case:
    uid: int
    kind: str
    data: bytes
    attachment: str | None = None       # the broken-attachment kind, when the case carries one


# ---- mutations ----------------------------------------------------------------------------------------------
def bitflip(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 64)):
        i = rng.randrange(len(buf))
        buf[i] ^= 1 << rng.randrange(8)
    return bytes(buf)


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data))]


def _split(data: bytes) -> tuple[list[bytes], bytes]:
    head, sep, body = data.partition(b"\r\n\r\n") if b"\r\n\r\n" in data else data.partition(b"\n\n")
    return head.splitlines(), body


def headers(data: bytes, rng: random.Random) -> bytes:
    lines, body = _split(data)
    i = rng.randrange(len(lines))
    how = rng.randrange(7)
    if how == 0:
        lines[i] = lines[i].replace(b":", b"", 1)
    elif how == 1:
        lines[i] = lines[i] + bytes(rng.randrange(128, 256) for _ in range(40))
    elif how == 2:
        lines[i] = lines[i] + b"\x00\x00 \r trailing"
    elif how == 3:
        lines += [b"X-Dup: " + str(n).encode() for n in range(200)] + [b"Subject: a second subject"] * 5
    elif how == 4:
        lines.append(b"Subject: =?utf-8?B?####not-base64?= =?x-unknown?Q?abc?= =?utf-8?Q?=FF=FE?=")
    elif how == 5:
        lines.append(b"From: =?utf-8?q?\xff?= <<<@@@>>>, \"unterminated <a@b")
    else:
        lines.insert(i, b"Message-ID: <" + b"\xc3\x28" * 10 + b">")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def long_header(data: bytes, rng: random.Random) -> bytes:
    size = rng.choice((999, 5_000, 50_000, 200_000))
    if rng.random() < 0.5:
        value = ("Ä" * size).encode()
    else:
        value = b"\r\n ".join(("ord" * 30).encode() for _ in range(size // 90 + 1))
    refs = b" ".join(b"<ref%d@example.se>" % n for n in range(3000))
    return b"Subject: " + value + b"\r\nReferences: " + refs + b"\r\nThread-Topic: " + b"x" * 5000 + b"\r\n" + data


def nested(data: bytes, rng: random.Random, depth: int = 20) -> bytes:
    """`data` forwarded `depth` times as message/rfc822, each level with a form of its own."""
    form = build_form(SAMPLE_VALUES)
    inner = data
    for level in range(depth):
        msg = EmailMessage()
        msg["From"], msg["To"] = f"vidare{level}@kommun.se", SECRETARIAT[0]
        msg["Subject"] = "VB: " * (level + 1) + "BUS-avvikelse"
        msg["Message-ID"] = f"<nested-{level}-{rng.getrandbits(48):x}@fuzz.example.se>"
        msg.set_content(f"Vidarebefordrar, nivå {level}")
        msg.add_attachment(form, maintype="application", subtype=DOCX_TYPE.split("/")[1],
                           filename=f"blankett{level}.docx")
        _attach_rfc822(msg, inner)
        inner = bytes(msg)
    return inner


def _attach_rfc822(msg: EmailMessage, inner: bytes) -> None:
    from email import message_from_bytes, policy
    msg.add_attachment(message_from_bytes(inner, policy=policy.default))


def charset(data: bytes, rng: random.Random) -> bytes:
    choice = rng.choice((b"iso-8859-1", b"utf-16", b"utf-7", b"x-bogus-charset", b"cp1252", b"\"\"", b"ascii"))
    out = data.replace(b'charset="utf-8"', b'charset="' + choice + b'"').replace(b"charset=utf-8",
                                                                                 b"charset=" + choice)
    if rng.random() < 0.5:
        out += "\r\nÅÄÖ åäö € – ”citat”\r\n".encode("cp1252")
    if rng.random() < 0.3:
        out = b"Subject: =?" + choice + b"?B?" + base64.b64encode("Hälsning".encode("utf-16")) + b"?=\r\n" + out
    return out


def mime(data: bytes, rng: random.Random) -> bytes:
    how = rng.randrange(5)
    if how == 0:
        return data.replace(b"boundary=", b"boundary=wrong", 1)
    if how == 1:
        return data.rsplit(b"--\r\n", 1)[0] if b"--\r\n" in data else data[:-50]
    if how == 2:
        return data.replace(b"Content-Transfer-Encoding: base64\r\n\r\n",
                            b"Content-Transfer-Encoding: base64\r\n\r\n!!*&^%$#@\x00", 1)
    if how == 3:
        parts = b"".join(b"--b\r\nContent-Type: text/plain\r\n\r\ndel %d\r\n" % n for n in range(2000))
        return (b"From: a@b.se\r\nSubject: manga delar\r\nMIME-Version: 1.0\r\n"
                b"Content-Type: multipart/mixed; boundary=b\r\n\r\n" + parts)
    return data.replace(b"Content-Type: multipart/mixed", b"Content-Type: multipart/mixed; boundary=\"\"", 1)


def _xxe_everywhere() -> bytes:
    """Every XML part with a DOCTYPE declaring an external entity and a billion-laughs entity, used."""
    prolog = ('<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">'
              '<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
              '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
              '<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">]>\n')
    src = zipfile.ZipFile(io.BytesIO(build_form(SAMPLE_VALUES)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            text = src.read(info).decode("utf-8")
            if text.startswith("<?xml"):
                text = text.split("?>", 1)[1]
            first = text.index(">") + 1
            zf.writestr(info.filename, prolog + text[:first] + "&xxe;&f;" + text[first:])
    return out.getvalue()


def broken_attachment(kind: str, rng: random.Random) -> bytes:
    if kind == "xxe_everywhere":
        return _xxe_everywhere()
    if kind == "truncated_zip":
        whole = build_form(SAMPLE_VALUES)
        return whole[: rng.randrange(2, len(whole) - 22)]
    if kind == "not_a_zip":
        return rng.randbytes(rng.randint(0, 5000))
    return build_broken(kind)


def big_docx(megabytes: int) -> bytes:
    """A .docx whose media member is `megabytes` MiB of incompressible bytes (stored, not deflated)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        for info in zipfile.ZipFile(io.BytesIO(build_form(SAMPLE_VALUES))).infolist():
            zf.writestr(info, zipfile.ZipFile(io.BytesIO(build_form(SAMPLE_VALUES))).read(info))
        zf.writestr("word/media/image1.png", random.Random(0).randbytes(megabytes << 20))
    return out.getvalue()


def _mail_with(attachment: bytes, filename: str, uid: int) -> bytes:
    return make_mail(subject=f"BUS-avvikelse med trasig bilaga {uid}", sender="rapportor@bup.sll.se",
                     to=["chef@socialtjanst.stockholm.se"], cc=list(SECRETARIAT),
                     when=datetime(2026, 3, 2, 9, tzinfo=UTC),
                     message_id=f"<fuzz-attachment-{uid}@fuzz.example.se>", attachments=[(filename, attachment)])


MUTATORS: dict[str, Callable[[bytes, random.Random], bytes]] = {
    "bitflip": bitflip, "truncate": truncate, "headers": headers, "long_header": long_header,
    "charset": charset, "mime": mime,
}
ATTACHMENT_KINDS = ("truncated", "encrypted", "macro", "legacy_doc", "zip_bomb", "xxe", "xxe_everywhere",
                    "truncated_zip", "not_a_zip")


def cases(count: int, seed: int) -> Iterator[Case]:
    rng = random.Random(seed)
    seeds = [data for _name, data, _boxes in build_corpus().mails]
    kinds = [*MUTATORS, "nested", "attachment", "attachment"]
    for uid in range(1, count + 1):
        kind = kinds[uid % len(kinds)] if uid <= len(kinds) else rng.choice(kinds)
        if kind == "attachment":
            which = ATTACHMENT_KINDS[uid % len(ATTACHMENT_KINDS)]
            name = "avvikelse.docm" if which == "macro" else "avvikelse.doc" if which == "legacy_doc" else \
                "Avvikelseblankett.docx"
            yield Case(uid, kind, _mail_with(broken_attachment(which, rng), name, uid), which)
        elif kind == "nested":
            yield Case(uid, kind, nested(rng.choice(seeds), rng, depth=20))
        else:
            yield Case(uid, kind, MUTATORS[kind](rng.choice(seeds), rng))


def big_case(uid: int, megabytes: int) -> Case:
    """The mail with one `megabytes` MB .docx, composed by hand (the email package would need ~10x)."""
    body = base64.encodebytes(big_docx(megabytes)).replace(b"\n", b"\r\n")
    head = (f"From: rapportor@bup.sll.se\r\nTo: chef@socialtjanst.stockholm.se\r\nCc: {SECRETARIAT[0]}\r\n"
            f"Subject: BUS-avvikelse med stor bilaga\r\nMessage-ID: <fuzz-big-{uid}@fuzz.example.se>\r\n"
            "Date: Mon, 02 Mar 2026 09:00:00 +0000\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=\"big\"\r\n\r\n--big\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\nHej, se bifogad blankett.\r\n--big\r\n"
            f"Content-Type: {DOCX_TYPE}\r\nContent-Transfer-Encoding: base64\r\n"
            "Content-Disposition: attachment; filename=\"Avvikelseblankett stor.docx\"\r\n\r\n").encode()
    return Case(uid, "big", head + body + b"--big--\r\n", "big")


def inflated_case(uid: int, xml_mb: int) -> Case:
    """A mail with a 0.36 MB .docx whose word/document.xml is `xml_mb` MB (~136:1): 1.6 GB when read whole."""
    return Case(uid, "inflated", _mail_with(build_inflated(xml_mb), "Avvikelseblankett.docx", uid), "inflated")
