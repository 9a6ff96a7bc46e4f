"""Staff-group notices whose length depends on admin input, built to always fit one message.

Telegram refuses a message over 4,096 characters counted in UTF-16 code units (an emoji counts
two), and a refused notice means staff never learn that their edit was refused. The limit is
measured here on the HTML source, tags and entities included, which is never shorter than the
text Telegram counts after parsing: a notice that fits here fits there.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from bot import texts
from bot.render import TELEGRAM_MAX, utf16_len
from bot.yamlfile import CheckError

# One error line longer than this is cut: a single 5,000-character message must not hide the
# others (a YAML error can quote a whole line of the file).
MAX_LINE_UNITS = 600
_CUT = "…"


def _escaped_prefix(text: str, max_units: int) -> str:
    """``html.escape(text)``, cut on a whole character or entity to at most ``max_units``."""
    escaped = html.escape(text, quote=False)
    if utf16_len(escaped) <= max_units:
        return escaped
    budget = max_units - utf16_len(_CUT)
    out: list[str] = []
    used = 0
    for ch in text:
        piece = html.escape(ch, quote=False)
        cost = utf16_len(piece)
        if used + cost > budget:
            break
        out.append(piece)
        used += cost
    return "".join(out) + _CUT


def _more(n: int) -> str:
    return html.escape(texts.RELOAD_MORE_ONE if n == 1 else texts.RELOAD_MORE.format(n=n))


def reload_refused_notice(errors: Sequence[CheckError | str]) -> str:
    """The staff-group HTML notice for a refused reload: as many errors as fit, then a count.

    Always at most :data:`TELEGRAM_MAX` UTF-16 units, every admin-supplied character escaped.
    """
    head = html.escape(texts.RELOAD_FAILED)
    if not errors:
        return head
    # One error per line: a message quoting several lines of YAML is put on one.
    lines = [_escaped_prefix(" ".join(str(e).splitlines()), MAX_LINE_UNITS) for e in errors]
    # Room is kept for the longest possible "… et N autres" line, whatever N turns out to be.
    frame = utf16_len(f"{head}\n<pre></pre>\n{_more(len(lines))}")
    budget = TELEGRAM_MAX - frame
    shown: list[str] = []
    used = 0
    for line in lines:
        cost = utf16_len(line) + (1 if shown else 0)  # the newline before it
        if used + cost > budget:
            break
        shown.append(line)
        used += cost
    notice = head + "\n<pre>" + "\n".join(shown) + "</pre>" if shown else head
    hidden = len(lines) - len(shown)
    return notice + "\n" + _more(hidden) if hidden else notice
