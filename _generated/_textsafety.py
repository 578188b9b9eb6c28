"""Server strings as data: escaped for terminals, measured in display columns, safe in CSV.

Names of rule types and task ids come from the server. Shown raw, ``\\x1b]0;...\\x07``
retitles a terminal, ``\\n`` breaks a table row, a wide (CJK) name misaligns columns, and a
CSV cell starting with ``=`` runs as a formula in a spreadsheet. Every export that shows a
server string goes through one of these functions:

- :func:`escape_control` for terminals (and under :func:`html_text` for HTML);
- :func:`display_width`, :func:`fit` and :func:`pad` to lay out table columns;
- :func:`csv_field` / :func:`csv_row` for CSV (RFC 4180 quoting, formula neutralising).
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Iterable
from decimal import Decimal
from typing import Final, Optional, Union

__all__ = [
    "FORMULA_PREFIXES",
    "REDACTED",
    "blank_out",
    "csv_field",
    "csv_row",
    "display_width",
    "echoes",
    "escape_control",
    "fit",
    "html_text",
    "is_unsafe",
    "neutralise_formula",
    "pad",
]

#: What a credential is replaced by in any text the SDK or the CLI shows.
REDACTED: Final = "[redacted]"
_MIN_SECRET = 4  # shorter strings are too common in ordinary text to blank out safely


def blank_out(text: str, secrets: Iterable[Optional[str]]) -> str:
    """``text`` with every occurrence of each secret (a token, key or password, at least
    4 characters; longest first) replaced by :data:`REDACTED`."""
    for secret in sorted(
        {s for s in secrets if s and len(s) >= _MIN_SECRET}, key=len, reverse=True
    ):
        text = text.replace(secret, REDACTED)
    return text


def echoes(raw_body: Optional[bytes], secrets: Iterable[Optional[str]]) -> bool:
    """Whether a response body holds one of ``secrets`` (a byte search: no copy of a large
    body is made)."""
    if not isinstance(raw_body, bytes):
        return False
    return any(secret.encode() in raw_body for secret in secrets if secret)


#: A CSV cell starting with one of these is run as a formula by spreadsheets.
FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")
#: What a neutralised cell is prefixed with (the usual spreadsheet convention).
FORMULA_GUARD: Final = "'"
_ELLIPSIS: Final = "..."
_NAMED_ESCAPES: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Categories never shown as they are: controls, format characters (bidi overrides,
# zero-width marks), line and paragraph separators, unassigned and surrogates.
_UNSAFE_CATEGORIES: Final = frozenset({"Cc", "Cf", "Zl", "Zp", "Cn", "Cs"})
_CSV_SPECIAL: Final = frozenset(',"\r\n')

CsvValue = Union[str, int, Decimal, None]


def is_unsafe(char: str) -> bool:
    """Whether ``char`` is never shown as it is: a control or format character (bidi
    override, zero-width mark), a line or paragraph separator, unassigned or a surrogate."""
    return unicodedata.category(char) in _UNSAFE_CATEGORIES


def escape_control(text: str) -> str:
    """``text`` with every control or invisible formatting character written as an escape.

    ``\\n``, ``\\r`` and ``\\t`` by name, others as ``\\xHH``, ``\\uHHHH`` or ``\\UHHHHHHHH``,
    so nothing a server sends can move the cursor, retitle the terminal or reorder text.
    """
    if text.isprintable():
        return text
    out: list[str] = []
    for char in text:
        if char == " " or not is_unsafe(char):
            out.append(char)
        elif char in _NAMED_ESCAPES:
            out.append(_NAMED_ESCAPES[char])
        else:
            code = ord(char)
            if code <= 0xFF:
                out.append(f"\\x{code:02x}")
            elif code <= 0xFFFF:
                out.append(f"\\u{code:04x}")
            else:
                out.append(f"\\U{code:08x}")
    return "".join(out)


def _char_width(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes: east-asian wide and full-width characters count 2,
    combining marks 0. Meant for text already passed through :func:`escape_control`."""
    if text.isascii():
        return len(text)
    return sum(_char_width(char) for char in text)


def fit(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` display columns, ending in ``...`` when cut."""
    if display_width(text) <= width:
        return text
    room = max(width - len(_ELLIPSIS), 1)
    kept: list[str] = []
    used = 0
    for char in text:
        size = _char_width(char)
        if used + size > room:
            break
        kept.append(char)
        used += size
    return "".join(kept) + _ELLIPSIS


def pad(text: str, width: int, *, right: bool = False) -> str:
    """``text`` padded with spaces to ``width`` display columns (``right``: aligned right)."""
    fill = " " * max(width - display_width(text), 0)
    return fill + text if right else text + fill


def html_text(text: str) -> str:
    """``text`` for an HTML page: control characters shown as escapes, then HTML-escaped."""
    return html.escape(escape_control(text), quote=True)


def neutralise_formula(text: str) -> str:
    """``text`` with a leading apostrophe when a spreadsheet would run it as a formula
    (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return)."""
    return FORMULA_GUARD + text if text.startswith(FORMULA_PREFIXES) else text


def csv_field(value: CsvValue, *, raw: bool = False) -> str:
    """One CSV field (RFC 4180): ``None`` is empty; numbers as they are; text neutralised
    against formulas unless ``raw``, and quoted when it holds a comma, quote, CR or LF."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return str(value)
    text = value if raw else neutralise_formula(value)
    if _CSV_SPECIAL.isdisjoint(text):
        return text
    return '"' + text.replace('"', '""') + '"'


def csv_row(values: Iterable[CsvValue], *, raw: bool = False, end: Optional[str] = "\n") -> str:
    """One CSV record of :func:`csv_field` values, ending with ``end`` (none if ``None``)."""
    line = ",".join(csv_field(value, raw=raw) for value in values)
    # A record of one empty field would read back as no record at all.
    line = line or '""'
    return line if end is None else line + end
