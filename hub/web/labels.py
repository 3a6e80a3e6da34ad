"""Words for people in place of stored values, for every panel template: a vendor's display name for its
slug ("Acronis Cyber Protect Cloud", not "acronis"), "in advance" for ``in_advance``, Yes/No for booleans.

Stored values stay in ``data-*`` attributes, URLs and CSS classes; what a person reads goes through these.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from flask import g

#: stored values whose words are not just the value with spaces
WORDS = {
    "in_advance": "in advance", "in_arrears": "in arrears", "needs_review": "needs review",
    "needs_reauth": "needs new credentials", "not_configured": "not set up", "not_mapped": "Not mapped",
    "detached": "Detached", "mapped": "Mapped", "starttls": "STARTTLS", "tls": "implicit TLS",
    "void": "void", "tax_code": "tax code", "choose_account": "choose an account",
    "needs_reconnect": "needs reconnecting",
}


def words(value: Any) -> str:
    """A stored value as a person reads it: ``True`` -> "Yes", ``"in_advance"`` -> "in advance"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    text = value.value if isinstance(value, Enum) else str(value)
    return WORDS.get(text, text.replace("_", " "))


def vendor_name(slug: str | None) -> str:
    """The vendor integration's name for people (its own, else its plugin's); read once per request."""
    if slug is None:
        return ""
    names = g.get("_vendor_names")
    if names is None:
        from hub import integrations

        names = g._vendor_names = integrations.display_names()
    return names.get(slug, slug)
