"""Untrusted text made safe to store and to print: no control characters, no terminal escape sequences.

Vendor strings (customer names, SKUs, messages) come from outside. PostgreSQL refuses a NUL byte and
an over-long value where SQLite stores both, and a terminal obeys the escape sequences in whatever
it prints; so the sync cleans vendor strings where they enter the core, and every CLI table printer
cleans what it shows. One rule, here.
"""

from __future__ import annotations

import re

# ESC-introduced sequences (CSI incl. the one-byte C1 form, OSC ended by BEL or ST, two-character escapes)
_ESCAPES = re.compile(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]")
# C0 and C1 controls and DEL; lone surrogates (not encodable as UTF-8); bidi overrides and isolates,
# which reorder what a reader sees ("Trojan Source")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\t]")
ELLIPSIS = "\u2026"


def clean(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` without escape sequences and control characters; tabs and line breaks become spaces
    (or stay, as ``\\n``, with ``keep_newlines``)."""
    if not _CONTROLS.search(text):
        return text  # the common case, checked fast (a sync cleans tens of thousands of strings)
    text = _ESCAPES.sub("", text)
    text = _LINE_BREAKS.sub(lambda m: "\n" if keep_newlines and m.group() != "\t" else " ", text)
    if keep_newlines:
        return "\n".join(_CONTROLS.sub("", line) for line in text.split("\n"))
    return _CONTROLS.sub("", text)


def bounded(text: str, limit: int) -> str:
    """At most ``limit`` characters (what a ``String(limit)`` column holds on every database); a cut
    value ends with an ellipsis so a reader knows."""
    return text if len(text) <= limit else text[:limit - 1] + ELLIPSIS


def printable(value: object) -> str:
    """A value as one line a terminal shows literally (for CLI tables)."""
    return "" if value is None else clean(str(value))
