"""A synthetic billing world written with set-based SQL (no Python per row): N billing
accounts on the default cycle, one active product each (a 30 EUR monthly price in its charge
timeline, product_inventory_charge_period), and M rated data records spread over January 2026
across the accounts. What billing.compute_charges reads, nothing else (the catalog offering is
absent on purpose: the product's own price and the default tax rate apply).

Used by bench/bill_run.py and by the kill -9 test (tests/test_billing_run_kill.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, text

PERIOD_START = datetime(2026, 1, 1, tzinfo=UTC)
PERIOD_END = datetime(2026, 2, 1, tzinfo=UTC)
OFFERING = "bench-offering"
MONTHLY_EUR = 30
# Each record: 1 MB rated at 0.0123 EUR (amount at scale 6 = EUR minor digits + 4).
RECORD_AMOUNT = 12_300
RECORD_SCALE = 6
PRICES = (
    '[{"name": "Fibre 300 monthly", "priceType": "recurring", "recurringChargePeriod": '
    '"month", "price": {"dutyFreeAmount": {"unit": "EUR", "value": 30}}}]'
)


def account_id(number: int) -> str:
    return f"acct-{number:07d}"


def _sqlite(connection: Connection) -> bool:
    return connection.dialect.name == "sqlite"


def _numbers(connection: Connection, count: int) -> tuple[str, str]:
    """(CTE prefix, FROM clause) yielding ``i`` = 0 .. count-1."""
    if _sqlite(connection):
        return (
            "WITH RECURSIVE n(i) AS "
            f"(SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {count - 1})",
            "n",
        )
    return "", f"generate_series(0, {count - 1}) AS n(i)"


def _padded(connection: Connection, expression: str) -> str:
    if _sqlite(connection):
        return f"printf('%07d', {expression})"
    return f"lpad(({expression})::text, 7, '0')"


def _object(connection: Connection, pairs: str) -> str:
    return f"json_object({pairs})" if _sqlite(connection) else f"jsonb_build_object({pairs})"


def _json(connection: Connection, expression: str) -> str:
    return expression if _sqlite(connection) else f"({expression})::jsonb"


def _at(connection: Connection, text_value: str) -> str:
    """A fixed UTC instant as UTCDateTime stores it."""
    if _sqlite(connection):
        return f"'{text_value}.000000'"
    return f"timestamptz '{text_value}+00'"


def _day_of_january(connection: Connection, expression: str) -> str:
    if _sqlite(connection):
        return f"printf('2026-01-%02d 12:00:00.000000', ({expression}) % 28 + 1)"
    return f"timestamptz '2026-01-01 12:00:00+00' + (({expression}) % 28) * interval '1 day'"


def generate(connection: Connection, *, accounts: int, records: int) -> None:
    """Insert the world (the caller commits). Account ``i`` is ``acct-000000i``."""
    created = _at(connection, "2025-06-01 00:00:00")
    rated = _at(connection, "2026-01-31 23:00:00")
    prefix, numbers = _numbers(connection, accounts)
    number = _padded(connection, "i")
    name = f"'acct-' || {number}"
    body = _object(
        connection, f"'id', {name}, 'name', {name}, 'currency', 'EUR', 'state', 'Active'"
    )
    connection.execute(
        text(
            f"{prefix} INSERT INTO account_billing_account "
            "(id, body, created_at, updated_at, name, state, currency) "
            f"SELECT {name}, {body}, {created}, {created}, {name}, 'Active', 'EUR' FROM {numbers}"
        )
    )
    prices = _json(connection, f"'{PRICES}'")
    connection.execute(
        text(
            f"{prefix} INSERT INTO product_inventory_charge_period "
            "(product_id, billing_account_id, offering_id, name, status, prices, "
            "activated_at, valid_from, valid_to) "
            f"SELECT 'prod-' || {number}, 'acct-' || {number}, '{OFFERING}', 'Fibre 300', "
            f"'active', {prices}, {created}, {created}, NULL "
            f"FROM {numbers}"
        )
    )
    if records:
        _usage(connection, accounts=accounts, records=records, rated=rated)


def _usage(connection: Connection, *, accounts: int, records: int, rated: str) -> None:
    prefix, numbers = _numbers(connection, records)
    owner = _padded(connection, f"i % {accounts}")
    started = _day_of_january(connection, "i")
    billed = "json_array(json_object('isBilled', json('false')))"
    if not _sqlite(connection):
        billed = "jsonb_build_array(jsonb_build_object('isBilled', false))"
    body = _object(
        connection, f"'id', 'use-' || i, 'status', 'rated', 'ratedProductUsage', {billed}"
    )
    connection.execute(
        text(
            f"{prefix} INSERT INTO usage_record "
            "(id, body, created_at, updated_at, record_key, kind, subscriber, started_at, "
            "duration_seconds, bytes_up, bytes_down, events, source, status, product_id, "
            "billing_account_id, offering_id, amount, scale, currency, rated_quantity, rated_at) "
            f"SELECT 'use-' || i, {body}, {rated}, {rated}, 'key-' || i, 'data', "
            f"'sub-' || {owner}, {started}, 0, 0, 1048576, 0, 'bench', 'rated', "
            f"'prod-' || {owner}, 'acct-' || {owner}, '{OFFERING}', {RECORD_AMOUNT}, "
            f"{RECORD_SCALE}, 'EUR', 1, {rated} FROM {numbers}"
        )
    )


def expected_total_excl_minor(*, accounts: int, records: int) -> int:
    """What the run must bill, excluding tax: a month in advance per account (products
    active all along) plus each account's usage, rounded per account."""
    from fractions import Fraction

    total = accounts * MONTHLY_EUR * 100
    for number in range(accounts):
        count = records // accounts + (1 if number < records % accounts else 0)
        fine = Fraction(count * RECORD_AMOUNT, 10**4)
        total += round(fine)
    return total
