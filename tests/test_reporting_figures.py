"""Revenue figures read from issued bills and the installed base: billed revenue by offering
and month, MRR normalised to a month, ARPU, aging buckets at their boundaries, collection
rate; the CSV export parses back to the same figures; the CLI and the HTTP API serve them."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from conftest import key_for
from ordering_world import build
from ossbss import bootstrap, cli, product_inventory, reporting
from ossbss.kernel import InvalidInput
from ossbss.kernel.time import Period
from ossbss.reporting import domain
from reporting_world import FEBRUARY, JANUARY, add_bill, add_product, day, recurring, terminate

JAN_FEB = Period(JANUARY.start, FEBRUARY.end)


def _bills(platform: bootstrap.Platform) -> None:
    """January: A fibre 30.00 + usage 5.25, B fibre 30.00 + mobile 10.00 - 2.00 discount, one
    draft (ignored). February: A fibre 30.00, a credit note of 5.00 on A's usage."""
    with platform.database.unit_of_work() as s:
        add_bill(
            s,
            account="A",
            bill_date=day(1, 31),
            lines=[("recurring", "p1", "fibre", 3000), ("usage", "p1", "fibre", 525)],
        )
        add_bill(
            s,
            account="B",
            bill_date=day(1, 31, 12),
            lines=[
                ("recurring", "p2", "fibre", 3000),
                ("recurring", "p3", "mobile", 1000),
                ("discount", "p3", "mobile", -200),
            ],
        )
        add_bill(
            s,
            account="C",
            bill_date=day(1, 31),
            lines=[("oneTime", "p9", "fibre", 99)],
            issued=False,
        )
        add_bill(
            s,
            account="A",
            bill_date=day(2, 28),
            lines=[("recurring", "p1", "fibre", 3000)],
            period=FEBRUARY,
        )
        add_bill(
            s,
            account="A",
            bill_date=day(2, 10),
            lines=[("credit", "p1", "fibre", -500)],
            kind="creditNote",
            period=None,
        )


def test_revenue_by_offering_and_month_is_tax_excluded_with_credit_notes_deducted(
    platform: bootstrap.Platform,
) -> None:
    _bills(platform)
    with platform.database.unit_of_work(write=False) as s:
        rows = reporting.revenue_by_product(s, months=JAN_FEB)
    assert [
        (
            r.month,
            r.offering_id,
            r.bills,
            r.recurring_minor,
            r.usage_minor,
            r.other_minor,
            r.total_minor,
        )
        for r in rows
    ] == [
        ("2026-01", "fibre", 2, 6000, 525, 0, 6525),
        ("2026-01", "mobile", 1, 1000, 0, -200, 800),
        ("2026-02", "fibre", 2, 3000, 0, -500, 2500),
    ]
    with platform.database.unit_of_work(write=False) as s:
        only_january = reporting.revenue_by_product(s, months=JANUARY)
    assert sum(r.total_minor for r in only_january) == 7325


@pytest.mark.parametrize(
    ("amount", "period", "monthly"),
    [
        ("10", "week", 4333),  # 10 x 52 / 12 = 43.333...
        ("1", "day", 3042),  # 365 / 12 = 30.4166...
        ("120", "year", 1000),
        ("30", "monthly", 3000),
        ("0.06", "year", 0),  # 0.5 minor units: half-even rounds to the even 0
        ("0.18", "year", 2),  # 1.5 -> 2
    ],
)
def test_a_recurring_price_is_normalised_to_a_month_half_even(
    amount: str, period: str, monthly: int
) -> None:
    assert domain.monthly_minor(Decimal(amount), period, "EUR") == monthly


def test_mrr_counts_the_products_live_at_the_instant(
    client: TestClient, platform: bootstrap.Platform
) -> None:
    world = build(client)
    a, o = world.account_id, world.offering_id
    with platform.database.unit_of_work() as s:
        add_product(s, account=a, offering=o, start=day(1, 5), prices=[recurring(10, "week")])
        add_product(s, account=a, offering=o, start=day(1, 5), prices=[recurring(1, "day")])
        add_product(
            s,
            account=a,
            offering=o,
            start=day(1, 5),
            prices=[
                recurring(120, "year"),
                {
                    "priceType": "oneTime",
                    "name": "setup",
                    "price": {"dutyFreeAmount": {"unit": "EUR", "value": 50}},
                },
            ],
        )
        gone = add_product(s, account=a, offering=o, start=day(1, 5), prices=[recurring(30)])
        terminate(s, product_id=gone, at=day(1, 20))
        add_product(s, account=a, offering=o, start=day(2, 1), prices=[recurring(30)])
        resting = add_product(s, account=a, offering=o, start=day(1, 5), prices=[recurring(9)])
        product_inventory.update_product(
            s, product_id=resting, changes={"status": "suspended"}, now=day(1, 6)
        )
    with platform.database.unit_of_work(write=False) as s:
        at_end_of_january = reporting.mrr(s, at=day(1, 31))
        before_termination = reporting.mrr(s, at=day(1, 19))
        in_february = reporting.mrr(s, at=day(2, 1))
    assert [(r.offering_id, r.products, r.mrr_minor) for r in at_end_of_january] == [
        (o, 3, 4333 + 3042 + 1000)
    ]
    assert before_termination[0].mrr_minor == 4333 + 3042 + 1000 + 3000
    assert in_february[0].products == 4


def test_arpu_divides_the_month_s_revenue_by_the_accounts_billed_half_even(
    platform: bootstrap.Platform,
) -> None:
    with platform.database.unit_of_work() as s:
        add_bill(s, account="A", bill_date=day(1, 31), lines=[("recurring", "p1", "f", 10000)])
        add_bill(s, account="B", bill_date=day(1, 31), lines=[("recurring", "p2", "f", 5001)])
        add_bill(
            s,
            account="B",
            bill_date=day(1, 15),
            lines=[("oneTime", "p2", "f", 0)],
            kind="onDemand",
            period=None,
        )
    with platform.database.unit_of_work(write=False) as s:
        rows = reporting.arpu(s, months=JANUARY)
    # 150.01 / 2 = 75.005 -> 75.00 (half-even)
    assert [(r.month, r.revenue_minor, r.accounts, r.arpu_minor) for r in rows] == [
        ("2026-01", 15001, 2, 7500)
    ]


def test_aging_puts_what_is_due_in_buckets_at_their_boundaries(
    platform: bootstrap.Platform,
) -> None:
    as_of = day(6, 30, 10)
    late_by = {-1: 100, 0: 150, 1: 200, 30: 300, 31: 400, 60: 500, 61: 600, 90: 700, 91: 800}
    with platform.database.unit_of_work() as s:
        for days, amount in late_by.items():
            add_bill(
                s,
                account=f"acct-{days}",
                bill_date=day(1, 1),
                tax_rate=0,
                lines=[("recurring", None, None, amount)],
                due=as_of - timedelta(days=days),
            )
        add_bill(
            s,
            account="partly",
            bill_date=day(1, 1),
            tax_rate=0,
            paid=950,
            lines=[("recurring", None, None, 1000)],
            due=as_of - timedelta(days=10),
        )
        add_bill(
            s,
            account="paid",
            bill_date=day(1, 1),
            tax_rate=0,
            paid=1000,
            lines=[("recurring", None, None, 1000)],
            due=as_of - timedelta(days=10),
        )
        add_bill(
            s,
            account="later",
            bill_date=day(7, 1),
            tax_rate=0,
            lines=[("recurring", None, None, 1000)],
        )
    with platform.database.unit_of_work(write=False) as s:
        (row,) = reporting.aging(s, as_of=as_of)
        (one,) = reporting.aging(s, as_of=as_of, billing_account_id="partly")
    assert (
        row.current_minor,
        row.days_0_to_30_minor,
        row.days_31_to_60_minor,
        row.days_61_to_90_minor,
        row.days_over_90_minor,
    ) == (100, 150 + 200 + 300 + 50, 400 + 500, 600 + 700, 800)
    assert (row.bills, row.accounts, row.total_minor) == (10, 10, 3800)
    assert (one.days_0_to_30_minor, one.total_minor) == (50, 50)


def test_collection_rate_is_what_was_paid_of_what_the_month_billed_net_of_credit(
    platform: bootstrap.Platform,
) -> None:
    """B paid 60.00 of 100.00 and got a 10.00 credit note in February (which took 10.00 off
    what B's bill still owed): of the 190.00 January billed net, 160.00 is collected."""
    with platform.database.unit_of_work() as s:
        add_bill(
            s,
            account="A",
            bill_date=day(1, 31),
            tax_rate=0,
            paid=10000,
            lines=[("recurring", None, None, 10000)],
        )
        b_bill = add_bill(
            s,
            account="B",
            bill_date=day(1, 31),
            tax_rate=0,
            paid=6000 + 1000,
            lines=[("recurring", None, None, 10000)],
        )
        add_bill(
            s,
            account="B",
            bill_date=day(2, 5),
            tax_rate=0,
            kind="creditNote",
            corrects=b_bill,
            lines=[("credit", None, None, -1000)],
        )
        add_bill(
            s,
            account="C",
            bill_date=day(2, 28),
            tax_rate=0,
            lines=[("recurring", None, None, 3000)],
        )
    with platform.database.unit_of_work(write=False) as s:
        rows = reporting.collection_rate(s, months=JAN_FEB)
        january = reporting.collection_rate(s, months=JANUARY)
    assert [
        (
            r.month,
            r.bills,
            r.billed_minor,
            r.credited_minor,
            r.collected_minor,
            r.outstanding_minor,
            r.rate_percent,
        )
        for r in rows
    ] == [
        ("2026-01", 2, 20000, 1000, 16000, 3000, "84.21"),
        ("2026-02", 1, 3000, 0, 0, 3000, "0.00"),
    ]
    assert january == rows[:1]


def test_the_csv_export_parses_back_to_the_same_figures(platform: bootstrap.Platform) -> None:
    _bills(platform)
    with platform.database.unit_of_work(write=False) as s:
        rows = reporting.revenue_by_product(s, months=JAN_FEB)
    text = reporting.to_csv(rows, reporting.RevenueRow)
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert list(parsed[0]) == [
        "month",
        "currency",
        "offering_id",
        "name",
        "bills",
        "recurring",
        "one_time",
        "usage",
        "other",
        "total",
    ]
    assert [
        (p["month"], p["offering_id"], int(p["bills"]), Decimal(p["total"])) for p in parsed
    ] == [(r.month, r.offering_id, r.bills, Decimal(r.total_minor) / 100) for r in rows]
    assert parsed[2]["other"] == "-5.00"


def test_the_reporting_api_serves_json_and_csv_to_readers_only(
    app_client: TestClient, platform: bootstrap.Platform
) -> None:
    _bills(platform)
    reader = {"Authorization": f"Bearer {key_for(platform, 'readonly')}"}
    response = app_client.get(
        "/reporting/v1/revenue", params={"from": "2026-01", "to": "2026-02"}, headers=reader
    )
    assert response.status_code == 200, response.text
    assert [(r["month"], r["offeringId"], r["total"]) for r in response.json()] == [
        ("2026-01", "fibre", "65.25"),
        ("2026-01", "mobile", "8.00"),
        ("2026-02", "fibre", "25.00"),
    ]
    exported = app_client.get(
        "/reporting/v1/arpu", params={"period": "2026-01", "format": "csv"}, headers=reader
    )
    assert exported.headers["content-type"].startswith("text/csv")
    assert list(csv.DictReader(io.StringIO(exported.text))) == [
        {
            "month": "2026-01",
            "currency": "EUR",
            "revenue": "73.25",
            "accounts": "2",
            "arpu": "36.62",
        }
    ]
    aged = app_client.get("/reporting/v1/aging", params={"at": "2026-03-01"}, headers=reader)
    assert aged.json() == [
        {
            "currency": "EUR",
            "bills": "3",
            "accounts": "2",
            "current": "36.00",
            "days0To30": "87.90",
            "days31To60": "0.00",
            "days61To90": "0.00",
            "daysOver90": "0.00",
            "total": "123.90",
        }
    ]
    csr = {"Authorization": f"Bearer {key_for(platform, 'csr')}"}
    assert app_client.get("/reporting/v1/mrr", headers=csr).status_code == 403
    assert app_client.get("/reporting/v1/mrr").status_code == 401
    bad = app_client.get("/reporting/v1/revenue", params={"from": "2026-13"}, headers=reader)
    assert bad.status_code == 400
    assert bad.json()["reason"] == "Invalid month"


def test_ossbss_report_prints_a_table_and_writes_csv(
    platform: bootstrap.Platform, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _bills(platform)
    monkeypatch.setenv("OSSBSS_DATABASE_URL", platform.settings.database_url)
    shown = CliRunner().invoke(cli.app, ["report", "arpu", "--from", "2026-01", "--to", "2026-02"])
    assert shown.exit_code == 0, shown.output
    assert "73.25" in shown.output
    assert "36.62" in shown.output
    target = tmp_path / "collection.csv"
    written = CliRunner().invoke(
        cli.app, ["report", "collection", "--period", "2026-01", "--csv", str(target)]
    )
    assert written.exit_code == 0, written.output
    (row,) = csv.DictReader(io.StringIO(target.read_text()))
    assert (row["billed"], row["collected"], row["rate_percent"]) == ("87.90", "0.00", "0.00")
    # January's recurring lines name products the installed base never had: anomalies.
    checked = CliRunner().invoke(cli.app, ["report", "assurance", "--period", "2026-01"])
    assert checked.exit_code == 0, checked.output
    assert "3 gaps (anomaly 70.00 EUR)" in checked.output
    refused = CliRunner().invoke(cli.app, ["report", "arpu", "--period", "2026-1"])
    assert refused.exit_code == 2


def test_months_are_read_strictly() -> None:
    assert domain.months("2026-11", "2027-01") == Period(
        day(11, 1), day(1, 1).replace(year=2027) + timedelta(days=31)
    )
    with pytest.raises(InvalidInput):
        domain.months("2026-03", "2026-01")
