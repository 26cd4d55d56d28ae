"""S/MIME mail for tests: signed (clear and opaque) and encrypted, made with a throw-away self-signed certificate.

    signed_mail(content, opaque=False, **headers)   # multipart/signed, or application/pkcs7-mime signed-data
    encrypted_mail(content, **headers)               # application/pkcs7-mime enveloped-data
    content_entity(body, attachments)                # the MIME entity that is signed or encrypted
"""
from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.mime.application import MIMEApplication
from email.utils import format_datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

from tests.support.mailbuilder import DOCX_TYPE


@functools.cache
def identity() -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.EMAIL_ADDRESS, "eva.exempel@example.se")])
    now = datetime(2026, 1, 1, tzinfo=UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + timedelta(days=3650))
            .sign(key, hashes.SHA256()))
    return cert, key


def content_entity(body: str, attachments: list[tuple[str, bytes]] | None = None) -> bytes:
    """A MIME entity (no mail headers) with a text body and Word attachments."""
    inner = EmailMessage()
    inner.set_content(body)
    for name, data in attachments or []:
        inner.add_attachment(data, maintype="application", subtype=DOCX_TYPE.split("/")[1], filename=name)
    del inner["MIME-Version"]
    return inner.as_bytes(policy=policy.SMTP)


def _headers(msg: Message, subject: str, sender: str, to: str, when: datetime, message_id: str) -> None:
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = message_id
    if "MIME-Version" not in msg:
        msg["MIME-Version"] = "1.0"


def signed_mail(content: bytes, *, opaque: bool = False, subject: str, sender: str, to: str, when: datetime,
                message_id: str) -> bytes:
    cert, key = identity()
    builder = pkcs7.PKCS7SignatureBuilder().set_data(content).add_signer(cert, key, hashes.SHA256())
    if opaque:
        der = builder.sign(serialization.Encoding.DER, [])
        msg: Message = MIMEApplication(der, "pkcs7-mime", name="smime.p7m")
        msg.set_param("smime-type", "signed-data")
    else:
        smime = builder.sign(serialization.Encoding.SMIME, [pkcs7.PKCS7Options.DetachedSignature])
        msg = message_from_bytes(smime, policy=policy.compat32)
    _headers(msg, subject, sender, to, when, message_id)
    return msg.as_bytes()


def encrypted_mail(content: bytes, *, subject: str, sender: str, to: str, when: datetime, message_id: str) -> bytes:
    cert, _key = identity()
    der = pkcs7.PKCS7EnvelopeBuilder().set_data(content).add_recipient(cert).encrypt(serialization.Encoding.DER, [])
    msg = MIMEApplication(der, "pkcs7-mime", name="smime.p7m")
    msg.set_param("smime-type", "enveloped-data")
    msg.add_header("Content-Disposition", "attachment", filename="smime.p7m")
    _headers(msg, subject, sender, to, when, message_id)
    return msg.as_bytes()
