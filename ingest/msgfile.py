"""Outlook .msg files (backfill from saved mail): converted by parsers.outlook.

A file extract-msg cannot read is passed on as it is: the pipeline keeps it with a problem code rather
than losing it.
"""
from __future__ import annotations

import logging
from pathlib import Path

from parsers.outlook import OutlookError, msg_to_rfc822

log = logging.getLogger(__name__)


def msg_to_eml(path: Path) -> bytes:
    """RFC 822 bytes for an Outlook .msg file; the file's own bytes when it cannot be read."""
    data = path.read_bytes()
    try:
        return msg_to_rfc822(data)
    except OutlookError as exc:
        log.warning("%s: not a readable Outlook .msg (%s); kept as it is", path.name, exc)
        return data
