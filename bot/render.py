"""What goes into a Telegram message: escaped by construction, fitted to Telegram's limits.

Two failures this module exists to prevent (issues #11 and #12): a staff reply such as
"si tension < 10" put raw into HTML, which Telegram rejects (the patient never gets it), and
a staff post over 4,096 characters (an urgent message followed by 2,000 emoji), also
rejected. So:

- :class:`Html` marks text that is already safe markup. :func:`html_format` fills a template
  and escapes every value that is not :class:`Html`; nobody calls ``html.escape`` by hand.
- Telegram counts a message's length *after* entity parsing, in UTF-16 code units (an emoji
  is two). :func:`visible_len` measures exactly that, and :func:`fit_quote` shortens the
  quoted patient text (with a marker) until the whole post fits.
- :func:`plain_fallback` turns any post into plain text that fits, for the rare post Telegram
  rejects anyway: it is re-sent that way rather than marked failed.

No ``telegram`` import: the core, the dispatcher and the tests share it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from bot import texts

# Telegram: "1-4096 characters after entities parsing", counted in UTF-16 code units.
TELEGRAM_MAX = 4096
_TAG_RE = re.compile(r"<[^<>]*>")


class Html(str):
    """Text that is valid Telegram HTML as it is (escaped, or built from escaped parts)."""

    __slots__ = ()


def esc(value: object) -> Html:
    """Plain text made safe for Telegram HTML (markup already marked Html is kept)."""
    if isinstance(value, Html):
        return value
    return Html(html.escape(str(value), quote=False))


def html_format(template: str, **values: object) -> Html:
    """Fill an HTML template; every value that is not already :class:`Html` is escaped."""
    return Html(template.format(**{k: esc(v) for k, v in values.items()}))


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def visible(markup: str) -> str:
    """The text Telegram shows for our HTML (tags dropped, entities decoded)."""
    return html.unescape(_TAG_RE.sub("", markup))


def visible_len(markup: str) -> int:
    return utf16_len(visible(markup))


def cut_utf16(text: str, units: int) -> str:
    """The longest prefix of ``text`` within ``units`` UTF-16 units (never half an emoji)."""
    if units <= 0:
        return ""
    used = 0
    for i, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > units:
            return text[:i]
    return text


def fit_quote(build: Callable[[Html], Html], quoted: str, limit: int = TELEGRAM_MAX) -> Html:
    """``build(quote)`` with the quoted text shortened (and marked so) until the post fits."""
    full = build(esc(quoted))
    if visible_len(full) <= limit:
        return full
    marker = texts.TRUNCATED
    overhead = visible_len(build(esc(""))) + utf16_len(marker)
    kept = cut_utf16(quoted, limit - overhead).rstrip()
    return build(Html(esc(kept) + esc(marker)))


def plain_fallback(markup: str, limit: int = TELEGRAM_MAX) -> str:
    """Plain text of a post, cut to fit: what we send when Telegram rejects the HTML."""
    text = visible(markup).strip() or texts.TRUNCATED.strip()
    if utf16_len(text) <= limit:
        return text
    return cut_utf16(text, limit - utf16_len(texts.TRUNCATED)) + texts.TRUNCATED


def split_lines(markup: str, limit: int = TELEGRAM_MAX) -> list[Html]:
    """Cut a long HTML text into messages that fit, between lines.

    For staff lists built one self-contained line per item (/alertes, /patients): no tag
    spans two lines, so each message stays valid HTML. A single line too long for a message
    goes as its plain text, escaped and cut."""
    chunks: list[Html] = []
    current: list[str] = []
    used = 0
    for line in markup.split("\n"):
        if utf16_len(line) > limit:
            line = esc(plain_fallback(line, limit // 6))  # an escaped character: 6 units at most
        cost = utf16_len(line) + (1 if current else 0)
        if current and used + cost > limit:
            chunks.append(Html("\n".join(current)))
            current, used = [], 0
            cost = utf16_len(line)
        current.append(line)
        used += cost
    if current:
        chunks.append(Html("\n".join(current)))
    return chunks


def split_plain(text: str, limit: int = TELEGRAM_MAX) -> list[str]:
    """Cut a long plain text into messages that fit, at paragraph, line or word breaks."""
    chunks: list[str] = []
    rest = text.strip()
    while utf16_len(rest) > limit:
        head = cut_utf16(rest, limit)
        cut = max(head.rfind("\n\n"), head.rfind("\n"), head.rfind(" "))
        if cut < len(head) // 2:  # no good break near the end: cut the word
            cut = len(head)
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        chunks.append(rest)
    return chunks
