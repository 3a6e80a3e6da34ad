"""Reading an imported vendor's CSV file: validated whole, every problem named by its line.

A file is a header row and one row per customer and SKU: ``customer_id``, ``customer_name``, ``sku``,
``quantity``, and optional ``status`` and ``unit``. UTF-8 (Excel's UTF-8 with a byte-order mark
too), comma, semicolon or tab separated, quoted fields as Excel writes them. Nothing is applied
from a file with any bad row: :class:`CsvFileError` lists them all (up to :data:`MAX_PROBLEMS`).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from hub.plugins import CustomerStatus, VendorDataError

#: column -> the header spellings accepted for it (compared lower-case, spaces and dashes as "_")
COLUMNS = {
    "customer_id": ("customer_id", "customerid", "customer", "id", "account_id"),
    "customer_name": ("customer_name", "customername", "name", "company", "company_name"),
    "sku": ("sku", "product", "product_code", "plan"),
    "quantity": ("quantity", "qty", "count", "licenses", "seats"),
    "status": ("status",),
    "unit": ("unit",),
}
REQUIRED = ("customer_id", "customer_name", "sku", "quantity")
STATUSES = {"active": CustomerStatus.ACTIVE, "suspended": CustomerStatus.SUSPENDED, "trial": CustomerStatus.TRIAL}
MAX_PROBLEMS = 100
MAX_QUANTITY = Decimal(10) ** 12
_QUANTITY = re.compile(r"^\d+(\.\d{1,4})?$")


class CsvFileError(VendorDataError):
    """The file cannot be imported. ``problems`` holds ``(line, message)`` pairs, line 0 for the file."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        shown = "; ".join(f"line {line}: {text}" if line else text for line, text in problems[:10])
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        super().__init__(f"the file cannot be imported, nothing applied: {shown}{more}")


@dataclass
class ParsedFile:
    #: customer id -> (name, status), in file order
    customers: dict[str, tuple[str, CustomerStatus]] = field(default_factory=dict)
    counts: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    rows: int = 0


def parse(data: bytes, *, default_unit: str = "license") -> ParsedFile:
    text = _decode(data)
    delimiter, header = _header(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    next(reader)
    columns = _Columns(header)
    parsed, problems = ParsedFile(), []
    first_line: dict[tuple[str, str], int] = {}
    try:
        for cells in reader:
            if len(problems) >= MAX_PROBLEMS:
                problems.append((0, "too many problems: fix these first"))
                break
            if not "".join(cells).strip():
                continue  # a blank line (only separators or spaces)
            line = reader.line_num
            problem = _read_row(parsed, first_line, columns, cells, line, delimiter, default_unit)
            if problem:
                problems.append((line, problem))
    except csv.Error as err:
        problems.append((reader.line_num, f"the CSV is malformed ({err}): an unclosed quote?"))
    if problems:
        raise CsvFileError(problems)
    return parsed


class _Columns:
    """Where each column is in a row, worked out once per file (a file has tens of thousands of rows)."""

    def __init__(self, header: list[str | None]) -> None:
        positions = {name: header.index(name) for name in COLUMNS if name in header}
        self.customer_id, self.customer_name = positions["customer_id"], positions["customer_name"]
        self.sku, self.quantity = positions["sku"], positions["quantity"]
        self.status, self.unit = positions.get("status"), positions.get("unit")
        #: a row must reach the last required column
        self.needed = max(positions[name] for name in REQUIRED) + 1


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise CsvFileError([(0, f"the file is not UTF-8 (byte {err.start + 1}): save it as 'CSV UTF-8'")]) from None
    if "\x00" in text:
        raise CsvFileError([(0, "the file holds NUL bytes: it is not a text CSV file")])
    return text


def _header(text: str) -> tuple[str, list[str]]:
    """The delimiter that makes the first line a header holding every required column."""
    first = text.split("\n", 1)[0].rstrip("\r")
    if not first.strip():
        raise CsvFileError([(1, "the first line must be the header row (customer_id, customer_name, sku, quantity)")])
    for delimiter in (",", ";", "\t"):
        names = [_column(cell) for cell in next(csv.reader([first], delimiter=delimiter))]
        if all(name in names for name in REQUIRED):
            twice = sorted({n for n in names if n and names.count(n) > 1})
            if twice:
                raise CsvFileError([(1, f"the header names {', '.join(twice)} more than once")])
            return delimiter, names
    raise CsvFileError([(1, "the header row must name the columns customer_id, customer_name, sku and quantity "
                            f"(found: {_short(first, 120)})")])


def _column(cell: str) -> str | None:
    key = re.sub(r"[\s\-]+", "_", cell.strip().lower())
    return next((name for name, spellings in COLUMNS.items() if key in spellings), None)


def _read_row(parsed: ParsedFile, first_line: dict, columns: _Columns, cells: list[str], line: int,
              delimiter: str, default_unit: str) -> str | None:
    """Adds one row to ``parsed``; returns what is wrong with it instead (and adds nothing)."""
    count = len(cells)
    if count < columns.needed:
        return f"{count} field(s), fewer than the header's columns (a line cut short?)"
    customer_id, name = cells[columns.customer_id].strip(), cells[columns.customer_name].strip()
    sku, raw_quantity = cells[columns.sku].strip(), cells[columns.quantity].strip()
    # the optional columns may be past the end of a row that stops after the required ones
    index = columns.status
    raw_status = cells[index].strip().lower() if index is not None and index < count else ""
    index = columns.unit
    unit_cell = cells[index].strip() if index is not None and index < count else ""
    if not customer_id:
        return "customer_id is empty"
    if len(customer_id) > 200:
        return "customer_id is longer than 200 characters"
    status = STATUSES.get(raw_status or "active")
    if status is None:
        return f"status {_short(raw_status)!r} is not active, suspended or trial"
    known = parsed.customers.get(customer_id)
    if known is None and not name:
        return f"customer {_short(customer_id)!r} has no customer_name"
    if known is not None and ((name and name != known[0]) or (raw_status and status != known[1])):
        return f"customer {_short(customer_id)!r} has another name or status than on an earlier line"
    if sku or raw_quantity:
        if not sku:
            return "quantity without a sku"
        quantity, problem = _quantity(raw_quantity, delimiter)
        if problem:
            return problem
        key = (customer_id, sku)
        if key in first_line:
            return f"sku {_short(sku)!r} of customer {_short(customer_id)!r} is also on line {first_line[key]}"
        known_unit = parsed.units.get(sku)
        if known_unit is not None and unit_cell and unit_cell != known_unit:
            return f"sku {_short(sku)!r} has unit {_short(unit_cell)!r} here and {known_unit!r} before"
        first_line[key] = line
        parsed.units[sku] = unit_cell or known_unit or default_unit
        parsed.counts[key] = quantity
    if known is None:
        parsed.customers[customer_id] = (name, status)
    parsed.rows += 1
    return None


def _quantity(raw: str, delimiter: str) -> tuple[Decimal | None, str | None]:
    text = raw.replace(" ", "")
    if delimiter == ";" and "," in text and "." not in text:
        text = text.replace(",", ".")  # a decimal comma, as Excel writes it where ';' separates
    if not text:
        return None, "quantity is empty"
    if text.startswith("-"):
        return None, f"quantity {_short(raw)!r} is negative"
    if not _QUANTITY.match(text):
        return None, (f"quantity {_short(raw)!r} is not a number of licenses (digits, at most 4 decimals, "
                      "no thousands separator)")
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
        return None, f"quantity {_short(raw)!r} is not a number"
    if value >= MAX_QUANTITY:
        return None, f"quantity {_short(raw)!r} is too large"
    return value, None


def _short(text: str, limit: int = 40) -> str:
    """Values quoted back in messages are cut: a message never carries a whole line of the file."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
