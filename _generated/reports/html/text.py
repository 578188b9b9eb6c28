"""Text on the HTML page: escaping, server names made safe to show, numbers, labels."""

from __future__ import annotations

import html
import re
from typing import Optional

from _generated._textsafety import is_unsafe
from _generated.reports.columns import COUNT_FIELDS, GROUP_LABELS, MEASURE_LABELS

__all__ = [
    "GROUP_LABELS",
    "KINDS",
    "NAME_LIMIT",
    "NONE_LABEL",
    "OTHERS_LABEL",
    "compact",
    "display_name",
    "e",
    "name_html",
    "percent",
    "public_host",
]

#: Longer names are cut to this many characters (with "…") on the page.
NAME_LIMIT = 120
#: The kinds of tokens on the page: (measure, label, what it counts).
KINDS = tuple((m, *MEASURE_LABELS[m]) for m in COUNT_FIELDS)
NONE_LABEL = "(none)"
OTHERS_LABEL = "others"
# What an unsafe character (see `_textsafety.is_unsafe`) is shown as on the page.
_REPLACEMENT = "\ufffd"
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/@?#]*@")


def e(text: str) -> str:
    return html.escape(text, quote=True)


def display_name(name: Optional[str], limit: int = NAME_LIMIT) -> str:
    """A server-provided name as shown: unsafe characters replaced, long names cut."""
    if name is None:
        return NONE_LABEL
    text = _safe(name)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def _safe(text: str) -> str:
    # Controls break hover text, bidi overrides reorder the numbers beside them, and lone
    # surrogates (possible in JSON) cannot be written as UTF-8: all shown as U+FFFD.
    if text.isprintable():
        return text
    return "".join(_REPLACEMENT if is_unsafe(char) else char for char in text)


def name_html(name: Optional[str]) -> str:
    if name is None:
        return f'<span class="none">{NONE_LABEL}</span>'
    return e(display_name(name))


def public_host(host: str) -> str:
    """The host URL without any ``user:password@`` part."""
    text = display_name(host.strip()) if host and host.strip() else "(unknown)"
    return _USERINFO.sub(r"\1", text)


def percent(value: int, total: int) -> str:
    if total == 0:
        return "0 %"
    share = 100.0 * value / total
    if 0 < share < 0.1:
        return "<0.1 %"
    return f"{share:.1f} %"


def compact(value: float) -> str:
    for divisor, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= divisor:
            return f"{value / divisor:.2f}".rstrip("0").rstrip(".") + suffix
    return f"{value:.0f}"
