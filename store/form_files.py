"""A deviation's Word document, kept when its mail is first parsed: a reminder attaches it from here, without
parsing the stored mail again (issue 23: parse once, inside the budget).

The parse (parsers/mailform.py, in a parser process) hands the document the form was read from with the
parsed mail (`ParsedEmail.form_file`); `keep` stores it with the case's source message, content-addressed in
`form_file`.  `Message.form_filename` NULL means "not looked for yet" (mail stored before migration 0017):
pipeline/facts.py fills those in through the parser pool.
"""
from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from parsers.types import Attachment
from store.models import Case, FormFile, Message

__all__ = ["keep", "stored", "unknown_sources"]


def keep(session: Session, msg: Message, att: Attachment | None) -> None:
    """Keep the Word document `att` (None: the mail has none) as `msg`'s form file."""
    if att is None or not att.data:
        msg.form_filename, msg.form_file_sha256 = "", None
        return
    sha = hashlib.sha256(att.data).hexdigest()
    with session.no_autoflush:
        if session.get(FormFile, sha) is None:
            session.add(FormFile(sha256=sha, size=len(att.data), data=att.data))
    msg.form_filename, msg.form_file_sha256 = att.filename or "", sha


def stored(session: Session, msg: Message) -> tuple[str, bytes] | None:
    """(file name, bytes) of `msg`'s kept Word document, or None when it has none (or none was kept yet)."""
    if not msg.form_file_sha256:
        return None
    row = session.get(FormFile, msg.form_file_sha256)
    return (msg.form_filename or "", bytes(row.data)) if row is not None else None


def unknown_sources(session: Session, limit: int = 500) -> list[Message]:
    """Cases' source messages whose Word document was never looked for (stored before it was kept)."""
    q = (select(Message).join(Case, Case.source_message_id == Message.id)
         .where(Message.form_filename.is_(None)).order_by(Message.id).limit(limit))
    return list(session.scalars(q))
