"""Subject normalisation: strip reply/forward/auto-reply prefixes and bracketed tags, repeatedly."""
from __future__ import annotations

import re
from functools import lru_cache

_TAG = re.compile(r"^\s*[\[(][^\])]{0,40}[\])]\s*")
_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=32)
def _prefix_re(prefixes: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(p) for p in sorted(prefixes, key=len, reverse=True))
    # "Re:", "RE :", "Re[2]:", "SV:", "Automatiskt svar:" ...
    return re.compile(rf"^\s*(?:{alternatives})\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*", re.IGNORECASE)


def normalise_subject(subject: str, prefixes: tuple[str, ...]) -> str:
    """Lower-cased subject without prefixes (Re/SV/VB/Fwd/…) and tags like [Extern], whitespace collapsed."""
    text = _SPACE.sub(" ", subject or "").strip()
    prefix = _prefix_re(prefixes)
    while True:
        stripped = prefix.sub("", text, count=1)
        stripped = _TAG.sub("", stripped, count=1)
        if stripped == text:
            break
        text = stripped
    return text.strip().casefold()
