"""Jinja filters: money in minor units, aware UTC times, and JSON for chart data."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
from babel.numbers import format_currency, get_currency_precision
from jinja2 import Environment
from markupsafe import Markup


def money(minor: int | None, currency: str = "EUR") -> str:
    """Integer minor units as a currency amount (``1234, "EUR"`` → ``€12.34``)."""
    if minor is None:
        return ""
    digits = get_currency_precision(currency)
    return format_currency(Decimal(minor).scaleb(-digits), currency, locale="en_GB")


def when(value: datetime | str | None, style: str = "minute") -> str:
    """An aware time (or an ISO string) in UTC: ``2026-01-15 09:30``; ``style="date"``."""
    if value is None or value == "":
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d" if style == "date" else "%Y-%m-%d %H:%M")


def to_json(value: Any) -> Markup:
    """JSON safe inside an HTML attribute or a <script>: orjson escapes no '<', so we do."""
    text = orjson.dumps(value).decode()
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text.replace("'", "\\u0027"))


def install(environment: Environment) -> None:
    environment.filters.update(money=money, when=when, json=to_json)
