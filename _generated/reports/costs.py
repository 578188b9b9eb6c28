"""Costs of a report: token counts times prices, in ``Decimal``, rounded only when shown.

::

    from _generated.reports import PriceList, costs

    prices = PriceList.parse(["eval_prompt=2.50/1M", "eval_completion=10/1M", "inference=0"])
    bill = costs(report, prices)
    bill.total, bill.currency                     # Decimal('12.3456789'), 'USD'

A price is ``AMOUNT[/UNIT]``: ``2.50/1M`` is 2.50 per million tokens (``k`` = 1,000, ``M`` =
10**6, ``G`` = 10**9; no unit: per token). A :class:`PriceList` may change prices over
time (``PriceList.from_toml``): each window of a report is priced at the prices in effect
at its start, so a past month is priced at its own prices. Kinds without a price cost 0
and are listed in :attr:`Costs.unpriced`.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Any, Final, Optional, Union

from _generated.exceptions import ApiArgumentError
from _generated.reports.columns import MEASURES
from _generated.reports.periods import resolve_zone
from _generated.reports.report import UsageReport
from _generated.reports.rows import GroupKey, UsageRow

__all__ = [
    "DEFAULT_CURRENCY",
    "KINDS",
    "Costs",
    "Price",
    "PriceList",
    "costs",
    "exact",
    "parse_amount",
    "parse_price",
    "show",
]

#: The counts that can be priced (every measure but their sum).
KINDS: Final = tuple(measure for measure in MEASURES if measure != "total")
DEFAULT_CURRENCY: Final = "USD"
#: Decimal places of a cost when shown.
SHOWN_PLACES: Final = 2
_SUFFIXES: Final = {"": 1, "k": 1_000, "m": 1_000_000, "g": 1_000_000_000}
_AMOUNT = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*([kKmMgG]?)")
_UNIT = re.compile(r"(\d*)\s*([kKmMgG]?)")
_CURRENCY = re.compile(r"[A-Z]{3}")
# Enough digits that no sum of a report's costs is ever rounded before it is shown.
_PRECISION: Final = 60
_UTC = timezone.utc


def parse_amount(text: str) -> Decimal:
    """``1500``, ``1.5k``, ``2M``, ``1G`` as a number (``k``: 1,000, ``M``: 10**6, ``G``: 10**9)."""
    match = _AMOUNT.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"expected a number with an optional k, M or G suffix, got {text!r}")
    with localcontext() as context:
        context.prec = _PRECISION
        return Decimal(match.group(1)) * _SUFFIXES[match.group(2).lower()]


@dataclass(frozen=True)
class Price:
    """``amount`` per ``per`` tokens."""

    amount: Decimal
    per: int = 1

    def cost(self, tokens: int) -> Decimal:
        """The exact cost of ``tokens``."""
        with localcontext() as context:
            context.prec = _PRECISION
            return Decimal(tokens) * self.amount / self.per

    def __str__(self) -> str:
        for suffix, size in (("G", 10**9), ("M", 10**6), ("k", 10**3)):
            if self.per % size == 0:
                return f"{self.amount}/{self.per // size}{suffix}"
        return f"{self.amount}/{self.per}" if self.per != 1 else str(self.amount)


def _price_value(text: str, what: str) -> Price:
    amount_text, slash, unit_text = text.strip().partition("/")
    try:
        amount = Decimal(amount_text.strip())
    except InvalidOperation:
        raise ValueError(f"{what}: expected AMOUNT[/UNIT] such as 2.50/1M, got {text!r}") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{what}: the amount must be a number >= 0, got {text!r}")
    per = 1
    if slash:
        unit = _UNIT.fullmatch(unit_text.strip())
        if unit is None or not (unit.group(1) or unit.group(2)):
            raise ValueError(
                f"{what}: expected a unit such as 1M, 1k or 1000 after /, got {text!r}"
            )
        per = int(unit.group(1) or 1) * _SUFFIXES[unit.group(2).lower()]
        if per < 1:
            raise ValueError(f"{what}: the unit must be at least 1 token, got {text!r}")
    return Price(amount, per)


def parse_price(text: str) -> tuple[str, Price]:
    """``KIND=AMOUNT[/UNIT]``, e.g. ``eval_prompt=2.50/1M``, as ``(kind, Price)``."""
    kind, equals, value = text.partition("=")
    kind = kind.strip()
    if not equals or kind not in KINDS:
        raise ValueError(
            f"expected KIND=AMOUNT[/UNIT] with KIND one of {', '.join(KINDS)}, got {text!r}"
        )
    return kind, _price_value(value, kind)


@dataclass(frozen=True)
class PriceList:
    """Prices per kind, possibly changing over time, and the currency they are in.

    ``schedule`` is ``(since, prices)`` in order: ``since`` an aware datetime from which
    ``prices`` hold (``None``: from the beginning); each step keeps the earlier prices of
    the kinds it does not name.
    """

    schedule: tuple[tuple[Optional[datetime], Mapping[str, Price]], ...] = ()
    currency: str = DEFAULT_CURRENCY

    def __post_init__(self) -> None:
        if not _CURRENCY.fullmatch(self.currency):
            raise ValueError(
                f"currency: expected an ISO 4217 code such as USD, got {self.currency!r}"
            )

    @classmethod
    def parse(cls, specs: Iterable[str], currency: str = DEFAULT_CURRENCY) -> PriceList:
        """A list from ``KIND=AMOUNT[/UNIT]`` strings, in effect at all times."""
        return cls(((None, dict(parse_price(spec) for spec in specs)),), currency)

    @classmethod
    def from_toml(cls, text: str, tz: Union[str, tzinfo] = "UTC") -> PriceList:
        """A list from the TOML described in docs/cli.md (dates are midnights in ``tz``).

        Needs Python 3.11+ (``tomllib``) or the ``tomli`` package.
        """
        try:
            toml: Any = importlib.import_module("tomllib")
        except ImportError:  # Python 3.10
            try:
                toml = importlib.import_module("tomli")
            except ImportError:
                raise RuntimeError(
                    "reading a prices file needs Python 3.11+ or the tomli package "
                    "(pip install tomli); or give the prices with --price"
                ) from None
        try:
            document = toml.loads(text)
        except toml.TOMLDecodeError as exc:
            raise ValueError(f"not valid TOML: {exc}") from None
        return cls.from_dict(document, tz)

    @classmethod
    def from_dict(cls, document: Mapping[str, Any], tz: Union[str, tzinfo] = "UTC") -> PriceList:
        """A list from the parsed TOML document (see :meth:`from_toml`)."""
        zone = resolve_zone(tz)
        unknown = set(document) - {"currency", "prices"}
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)}: expected currency and [[prices]]")
        entries = document.get("prices", [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise ValueError("prices: expected [[prices]] tables")
        steps: list[tuple[Optional[datetime], dict[str, Price]]] = []
        for number, entry in enumerate(entries, start=1):
            where = f"[[prices]] #{number}"
            unknown = set(entry) - {"since", *KINDS}
            if unknown:
                raise ValueError(
                    f"{where}: unknown keys {sorted(unknown)}: expected since, {', '.join(KINDS)}"
                )
            since = _since(entry.get("since"), zone, where)
            prices = {
                kind: _toml_price(entry[kind], f"{where} {kind}") for kind in KINDS if kind in entry
            }
            steps.append((since, prices))
        if sum(1 for since, _ in steps if since is None) > 1:
            raise ValueError("prices: only one [[prices]] table may leave out since")
        sinces = [since for since, _ in steps if since is not None]
        if len(set(sinces)) != len(sinces):
            raise ValueError("prices: two [[prices]] tables have the same since")
        steps.sort(
            key=lambda step: (step[0] is not None, step[0] or datetime.min.replace(tzinfo=_UTC))
        )
        currency = document.get("currency", DEFAULT_CURRENCY)
        if not isinstance(currency, str):
            raise ValueError(f'currency: expected a string such as "USD", got {currency!r}')
        return cls(tuple(steps), currency)

    def with_prices(self, prices: Mapping[str, Price]) -> PriceList:
        """This list with ``prices`` in effect at all times, over whatever it says."""
        steps = [(since, {**step, **prices}) for since, step in self.schedule] or [
            (None, dict(prices))
        ]
        if steps[0][0] is not None:
            steps.insert(0, (None, dict(prices)))
        return PriceList(tuple(steps), self.currency)

    def with_currency(self, currency: str) -> PriceList:
        return PriceList(self.schedule, currency)

    def at(self, moment: datetime) -> dict[str, Price]:
        """The prices in effect at ``moment`` (an aware datetime)."""
        prices: dict[str, Price] = {}
        for since, step in self.schedule:
            if since is not None and since > moment:
                break
            prices.update(step)
        return prices

    def changes_within(self, start: datetime, end: datetime) -> list[datetime]:
        """Price changes strictly inside ``(start, end)``."""
        return [since for since, _ in self.schedule if since is not None and start < since < end]

    @property
    def kinds(self) -> tuple[str, ...]:
        """The kinds that have a price at some time."""
        named = {kind for _, step in self.schedule for kind in step}
        return tuple(kind for kind in KINDS if kind in named)


def _since(value: Any, zone: tzinfo, where: str) -> Optional[datetime]:
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value if value.utcoffset() is not None else value.replace(tzinfo=zone)
        return moment.astimezone(_UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=zone).astimezone(_UTC)
    raise ValueError(f"{where} since: expected a TOML date (2026-11-01) or datetime, got {value!r}")


def _toml_price(value: Any, where: str) -> Price:
    if isinstance(value, bool):
        raise ValueError(f'{where}: expected a number or "AMOUNT/UNIT", got {value!r}')
    if isinstance(value, (int, float)):
        return _price_value(str(value), where)
    if isinstance(value, str):
        return _price_value(value, where)
    raise ValueError(f'{where}: expected a number or "AMOUNT/UNIT", got {value!r}')


@dataclass
class Costs:
    """What a report costs: per row and kind, per group, overall (exact ``Decimal`` values).

    ``rows`` pairs each of the report's rows (in its order) with its cost per priced kind
    and in total; ``unpriced`` names kinds that had no price (counted as 0).
    """

    currency: str
    kinds: tuple[str, ...]
    rows: list[tuple[UsageRow, dict[str, Decimal], Decimal]] = field(default_factory=list)
    by_group: dict[GroupKey, dict[str, Decimal]] = field(default_factory=dict)
    overall: dict[str, Decimal] = field(default_factory=dict)
    unpriced: tuple[str, ...] = ()
    split_windows: list[datetime] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        """The overall cost."""
        return _sum(self.overall.values())

    def group_total(self, key: GroupKey) -> Decimal:
        return _sum(self.by_group.get(key, {}).values())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: currency, exact costs as strings overall and per group."""
        return {
            "currency": self.currency,
            "kinds": list(self.kinds),
            "unpriced": list(self.unpriced),
            "overall": {**_strings(self.overall), "total": exact(self.total)},
            "groups": [
                {
                    "rule_type": key.rule_type,
                    "task_id": key.task_id,
                    **_strings(values),
                    "total": exact(_sum(values.values())),
                }
                for key, values in self.by_group.items()
            ],
        }


def exact(value: Decimal) -> str:
    """A cost written out in full (no exponent, no trailing zeros beyond the cents)."""
    with localcontext() as context:
        context.prec = _PRECISION  # normalize() rounds to the context's digits
        text = format(value.normalize(), "f")
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(SHOWN_PLACES, '0')}"


def show(value: Decimal, places: int = SHOWN_PLACES) -> str:
    """A cost rounded half up to ``places`` decimals, with thousands separators."""
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{rounded:,.{places}f}"


def _sum(values: Iterable[Decimal]) -> Decimal:
    """An exact sum (at :data:`_PRECISION` digits, not the context's 28)."""
    with localcontext() as context:
        context.prec = _PRECISION
        return sum(values, Decimal(0))


def _strings(values: Mapping[str, Decimal]) -> dict[str, str]:
    return {kind: exact(value) for kind, value in values.items()}


def costs(report: UsageReport, prices: PriceList, kinds: Optional[Sequence[str]] = None) -> Costs:
    """Price every row of ``report`` at the prices in effect at its window's start."""
    if kinds is not None and (isinstance(kinds, str) or any(k not in KINDS for k in kinds)):
        raise ApiArgumentError.for_argument(
            "kinds", kinds, f"a list of {', '.join(map(repr, KINDS))}"
        )
    shown = tuple(kinds) if kinds is not None else (prices.kinds or KINDS)
    result = Costs(currency=prices.currency, kinds=shown)
    result.unpriced = tuple(kind for kind in KINDS if kind not in prices.kinds)
    zero = Decimal(0)
    result.overall = dict.fromkeys(shown, zero)
    # Keyed by the UTC instant: the two 02:00 starts of a DST fall-back compare equal in
    # their zone, and may have different prices.
    rates: dict[datetime, dict[str, Price]] = {}
    with localcontext() as context:
        context.prec = _PRECISION
        for row in report.rows:
            start = row.window_start.astimezone(_UTC)
            if start not in rates:
                rates[start] = prices.at(row.window_start)
            in_effect = rates[start]
            values = {
                kind: in_effect[kind].cost(getattr(row.counts, kind)) if kind in in_effect else zero
                for kind in shown
            }
            result.rows.append((row, values, sum(values.values(), zero)))
            group = result.by_group.setdefault(row.group, dict.fromkeys(shown, zero))
            for kind, value in values.items():
                group[kind] += value
                result.overall[kind] += value
    for window in report.windows:
        result.split_windows.extend(prices.changes_within(window.start, window.end))
    order = sorted(
        result.by_group.items(),
        key=lambda item: (
            -_sum(item[1].values()),
            item[0].rule_type or "",
            item[0].task_id or "",
        ),
    )
    result.by_group = dict(order)
    return result
