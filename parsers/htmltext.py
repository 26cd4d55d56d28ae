"""HTML → text in time linear in its size: libxml2's HTML parser (via lxml.html), a plain tag strip as fallback."""
from __future__ import annotations

import html
import re

import lxml.html
from lxml import etree

# HTML beyond this many characters is not read: a mail body is far shorter, and the parser's memory stays small.
MAX_HTML_CHARS = 2_000_000
_PARSER = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, huge_tree=False)
_XML_DECLARATION = re.compile(r"\s*<\?xml[^<>]*>")   # lxml takes no encoding declaration in a str
# The fallback: one tag at a time, never across another "<", so each character is looked at a bounded number of
# times (the old `<[^>]+>` and `<(script|style)\b.*?</\1>` rescanned the rest of the text from every "<").
_TAG = re.compile(r"<[^<>]*>")


def html_to_text(text: str) -> str:
    """The text of an HTML document, without scripts, styles and comments, tags read as blanks."""
    text = text[:MAX_HTML_CHARS]
    declaration = _XML_DECLARATION.match(text)
    try:
        root = lxml.html.document_fromstring(text[declaration.end():] if declaration else text, parser=_PARSER)
    except (etree.LxmlError, ValueError, TypeError):   # empty, or text libxml2 will not take (lone surrogates)
        return html.unescape(_TAG.sub(" ", text))
    etree.strip_elements(root, "script", "style", "title", etree.Comment, with_tail=False)
    return " ".join(root.itertext())
