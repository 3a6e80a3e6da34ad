"""The simulator's reading of QuickBooks' query language: enough of it to answer the plugin, and
strict where QuickBooks is (an unescaped apostrophe is a parse error, code 4000)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


class QueryParseError(Exception):
    pass


@dataclass
class Query:
    entity: str
    count: bool = False
    conditions: list[tuple[str, str, Any]] = field(default_factory=list)  # (field, op, value or list)
    start: int = 1
    max_results: int = 100


HEAD = re.compile(r"\s*select\s+(\*|count\(\*\))\s+from\s+(\w+)\s*", re.IGNORECASE)
WORD = re.compile(r"\s*(\w+)\s*", re.IGNORECASE)


def _literal(text: str, i: int) -> tuple[Any, int]:
    """A quoted string (``\\'`` is an apostrophe), ``true``/``false`` or a number, from ``text[i]``."""
    while i < len(text) and text[i] == " ":
        i += 1
    if i < len(text) and text[i] == "'":
        out, i = [], i + 1
        while i < len(text):
            if text[i] == "\\" and i + 1 < len(text) and text[i + 1] == "'":
                out.append("'")
                i += 2
            elif text[i] == "'":
                return "".join(out), i + 1
            else:
                out.append(text[i])
                i += 1
        raise QueryParseError("Encountered end of input inside a string")
    match = re.compile(r"(true|false|-?\d+(?:\.\d+)?)", re.IGNORECASE).match(text, i)
    if not match:
        raise QueryParseError(f"Encountered \"{text[i:i + 10]}\" at column {i + 1}")
    word = match.group(1).lower()
    return (word == "true") if word in ("true", "false") else word, match.end()


def parse(text: str) -> Query:
    head = HEAD.match(text)
    if not head:
        raise QueryParseError("Encountered unexpected start of statement")
    query = Query(entity=head.group(2), count=head.group(1).lower() != "*")
    i = head.end()
    while i < len(text):
        word = WORD.match(text, i)
        if not word:
            raise QueryParseError(f"Encountered \"{text[i:i + 10]}\" at column {i + 1}")
        keyword, i = word.group(1).lower(), word.end()
        if keyword in ("where", "and"):
            name = WORD.match(text, i)
            if not name:
                raise QueryParseError(f"Encountered \"{text[i:i + 10]}\" at column {i + 1}")
            i = name.end()
            op = re.compile(r"\s*(=|<=|>=|<|>|in|like)\s*", re.IGNORECASE).match(text, i)
            if not op:
                raise QueryParseError(f"Encountered \"{text[i:i + 10]}\" at column {i + 1}")
            i = op.end()
            if op.group(1).lower() == "in":
                if i >= len(text) or text[i] != "(":
                    raise QueryParseError("IN needs a list")
                values, i = [], i + 1
                while True:
                    value, i = _literal(text, i)
                    values.append(value)
                    while i < len(text) and text[i] == " ":
                        i += 1
                    if i < len(text) and text[i] == ",":
                        i += 1
                        continue
                    if i < len(text) and text[i] == ")":
                        i += 1
                        break
                    raise QueryParseError(f"Encountered \"{text[i:i + 10]}\" at column {i + 1}")
                query.conditions.append((name.group(1), "in", values))
            else:
                value, i = _literal(text, i)
                query.conditions.append((name.group(1), op.group(1).lower(), value))
        elif keyword in ("startposition", "maxresults"):
            number = re.compile(r"\s*(\d+)\s*").match(text, i)
            if not number:
                raise QueryParseError(f"{keyword} needs a number")
            i = number.end()
            if keyword == "startposition":
                query.start = max(1, int(number.group(1)))
            else:
                query.max_results = min(1000, int(number.group(1)))
        else:
            raise QueryParseError(f"Encountered \"{keyword}\" at column {i}")
    return query


def matches(row: dict, query: Query) -> bool:
    conditions = query.conditions
    if not any(name.lower() == "active" for name, _, _ in conditions) and "Active" in row and not row["Active"]:
        return False  # inactive rows are left out unless the query asks about Active
    for name, op, value in conditions:
        have = row.get(name)
        if isinstance(have, dict):
            have = have.get("value")
        if op == "in":
            if _norm(have) not in {_norm(v) for v in value}:
                return False
        elif op == "=":
            if _norm(have) != _norm(value):
                return False
        elif op == "like":
            pattern = "^" + ".*".join(re.escape(p) for p in str(value).lower().split("%")) + "$"
            if not re.match(pattern, str(have or "").lower()):
                return False
        else:
            return False
    return True


def _norm(value: Any) -> Any:
    # string comparison taken as case-insensitive (the sheet's safe reading)
    return value.casefold() if isinstance(value, str) else value
