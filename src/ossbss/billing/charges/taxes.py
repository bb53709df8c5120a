"""Tax rates per country and product category, from a TOML file (ADR 0017); tax per line,
pure."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from ossbss.billing.charges.proration import divide_half_even

ANY_CATEGORY = "*"
DEFAULT_FILE = Path(__file__).resolve().parent.parent / "tax_rates.toml"


class MissingTaxRate(LookupError):
    pass


@dataclass(frozen=True, eq=False)  # hashed by identity: rates are cached per table
class TaxTable:
    rates: Mapping[str, Mapping[str, Decimal]]  # country -> category -> percent

    def rate(self, country: str, categories: Sequence[str]) -> tuple[str, Decimal]:
        return self._rate(country, tuple(categories))

    @lru_cache(maxsize=1024)  # noqa: B019 - tables live for the process (one per rates file)
    def _rate(self, country: str, categories: tuple[str, ...]) -> tuple[str, Decimal]:
        """(category, percent) of the first of ``categories`` the country has a rate for,
        else its "*" rate; MissingTaxRate naming both otherwise."""
        by_category = self.rates.get(country.upper(), {})
        for category in (*categories, ANY_CATEGORY):
            if category in by_category:
                return category, by_category[category]
        named = ", ".join(repr(c) for c in categories) or "none"
        raise MissingTaxRate(
            f"no tax rate for country {country} and category {named} (nor '{ANY_CATEGORY}')"
        )


def load(path: Path | None = None) -> TaxTable:
    """Read a rates file; a bad rate is an error at start, not a bad bill."""
    with (path or DEFAULT_FILE).open("rb") as handle:
        raw = tomllib.load(handle)
    rates: dict[str, dict[str, Decimal]] = {}
    for country, categories in raw.items():
        if not isinstance(categories, dict):
            raise ValueError(f"{path}: [{country}] must be a table of category = rate")
        rates[country.upper()] = {
            str(category): _percent(country, str(category), value)
            for category, value in categories.items()
        }
    return TaxTable(rates)


def _percent(country: str, category: str, value: object) -> Decimal:
    try:
        percent = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"tax rate {country}.{category}: {value!r} is not a number") from None
    if not percent.is_finite() or percent < 0 or percent > 100:
        raise ValueError(f"tax rate {country}.{category}: {value!r} is not 0-100")
    return percent


def tax_minor(amount_minor: int, percent: Decimal) -> int:
    """Tax on one line, half-even to the minor unit (a credit line has a negative tax)."""
    numerator, denominator = _ratio(percent)
    return divide_half_even(amount_minor * numerator, denominator * 100)


@lru_cache(maxsize=256)
def _ratio(percent: Decimal) -> tuple[int, int]:
    return percent.as_integer_ratio()
