"""Text on the HTML page: escaping, server names made safe to show, numbers, labels."""

from __future__ import annotations

import html
import re
from typing import Optional

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
KINDS = (
    ("inference", "Inference", "tokens of the guarded model calls"),
    ("eval_prompt", "Eval prompt", "prompt tokens of rule evaluations"),
    ("eval_completion", "Eval completion", "completion tokens of rule evaluations"),
)
GROUP_LABELS = {"rule_type": "rule type", "task": "task"}
NONE_LABEL = "(none)"
OTHERS_LABEL = "others"
# Control characters would be invisible or break hover text: show them as U+FFFD.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/@?#]*@")


def e(text: str) -> str:
    return html.escape(text, quote=True)


def display_name(name: Optional[str], limit: int = NAME_LIMIT) -> str:
    """A server-provided name as shown: control characters replaced, long names cut."""
    if name is None:
        return NONE_LABEL
    # Lone surrogates (possible in JSON) cannot be written as UTF-8.
    text = _CONTROL.sub("\ufffd", name).encode("utf-8", "replace").decode("utf-8")
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


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
