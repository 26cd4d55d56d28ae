"""Subject normalisation: strip reply/forward/auto-reply prefixes and bracketed tags, repeatedly."""
from __future__ import annotations

import re
from functools import lru_cache

# Matched at a position (Pattern.match(text, pos)), never by cutting the text: prefix after prefix is read in
# one pass, so a Subject of a million `Re: ` costs a million small steps, not a million copies of the rest.
_TAG = re.compile(r"\s*[\[(][^\])]{0,40}[\])]\s*")
_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=32)
def _prefix_re(prefixes: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(p) for p in sorted(prefixes, key=len, reverse=True))
    # "Re:", "RE :", "Re[2]:", "SV:", "Automatiskt svar:" ...
    return re.compile(rf"\s*(?:{alternatives})\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*", re.IGNORECASE)


def normalise_subject(subject: str, prefixes: tuple[str, ...]) -> str:
    """Lower-cased subject without prefixes (Re/SV/VB/Fwd/…) and tags like [Extern], whitespace collapsed."""
    text = _SPACE.sub(" ", subject or "").strip()
    prefix = _prefix_re(prefixes)
    pos = 0
    while True:
        start = pos
        for pattern in (prefix, _TAG):     # a prefix, then a tag: as each round of the old sub() did
            found = pattern.match(text, pos)
            if found:
                pos = found.end()
        if pos == start:
            break
    return text[pos:].strip().casefold()
