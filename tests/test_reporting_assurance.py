"""Revenue assurance over a month built through the rooms: products in the installed base,
usage ingested and rated by the rating run, an issued bill. Injected leaks (a product in
service with no recurring charge, rated usage on no bill) and an anomaly (a charge for a
product no longer in service) are listed with their ids; a clean month lists nothing."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from ordering_world import CATALOG, build
from ossbss import bootstrap, charging, reporting, usage
from reporting_world import JANUARY, add_bill, add_product, day, recurring, terminate
from tmf_cases import create

MB = 1024 * 1024
DECEMBER_1 = datetime(2025, 12, 1, tzinfo=UTC)
LAUNCHED = {"lifecycleStatus": "Launched", "validFor": {"startDateTime": "2025-01-01T00:00:00Z"}}


@dataclass
class Month:
    account: str
    offering: str
    billed: str  # in service, charged
    unbilled: str  # in service, not charged: a leak
    free: str  # in service at no recurring price
    gone: str  # terminated before the month, yet charged: an anomaly


def _metered_offering(client: TestClient, offering_id: str) -> None:
    price = create(
        client,
        f"{CATALOG}/productOfferingPrice",
        {
            "name": "Data at 0.01/MB",
            **LAUNCHED,
            "priceType": "usage",
            "unitOfMeasure": {"amount": 1, "units": "MB"},
            "price": {"unit": "EUR", "value": 0.01},
        },
    )
    offering = client.get(f"{CATALOG}/productOffering/{offering_id}").json()
    response = client.patch(
        f"{CATALOG}/productOffering/{offering_id}",
        json={"productOfferingPrice": [*offering["productOfferingPrice"], {"id": price["id"]}]},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 200, response.text


def _month(client: TestClient, platform: bootstrap.Platform) -> Month:
    """Products, and usage of ``alice`` (the billed product) rated on Feb 1 at 10:00."""
    world = build(client)
    _metered_offering(client, world.offering_id)
    a, o = world.account_id, world.offering_id
    with platform.database.unit_of_work() as s:
        billed = add_product(s, account=a, offering=o, start=DECEMBER_1, prices=[recurring(30)])
        unbilled = add_product(s, account=a, offering=o, start=day(1, 10), prices=[recurring(20)])
        free = add_product(s, account=a, offering=o, start=day(1, 10), prices=[recurring(0)])
        gone = add_product(s, account=a, offering=o, start=DECEMBER_1, prices=[recurring(30)])
        terminate(s, product_id=gone, at=datetime(2025, 12, 20, tzinfo=UTC))
        usage.register_subscriber(
            s,
            identifier="alice",
            product_id=billed,
            billing_account_id=a,
            offering_id=o,
            customer_id=world.customer_id,
            valid_from=DECEMBER_1,
            now=DECEMBER_1,
        )
    records = [
        usage.UsageInput(
            record_key=key,
            kind="data",
            subscriber=subscriber,
            started_at=day(1, number, 12),
            bytes_down=megabytes * MB,
            source="radius",
        )
        for key, subscriber, number, megabytes in [
            ("r1", "alice", 5, 150),
            ("r2", "alice", 6, 50),
            ("r3", "bob", 7, 10),  # nobody knows bob: suspense
        ]
    ]
    with platform.database.unit_of_work() as s:
        usage.ingest(s, records=records, now=day(2, 1))
        usage.quarantine(
            s, source="cdr", source_ref="f.csv:9", raw="garbage", reason="bad", now=day(1, 20)
        )
        charging.rate_period(s, period=JANUARY, now=day(2, 1, 10))
    return Month(a, o, billed, unbilled, free, gone)


def test_assurance_lists_every_injected_gap_with_ids_and_totals(
    client: TestClient, platform: bootstrap.Platform
) -> None:
    month = _month(client, platform)
    with platform.database.unit_of_work() as s:
        bill_id = add_bill(
            s,
            account=month.account,
            bill_date=day(2, 1, 12),
            lines=[
                ("recurring", month.billed, month.offering, 3000),
                ("recurring", month.gone, month.offering, 3000),
            ],
        )
    with platform.database.unit_of_work(write=False) as s:
        report = reporting.revenue_assurance(s, period=JANUARY)
        rated_ids = {record.id for record in usage.unbilled_rated(s, period=JANUARY)}
    assert [(c.status, c.currency, c.records, c.amount_minor) for c in report.usage] == [
        ("suspense", "", 1, 0),
        ("rated", "EUR", 2, 200),
    ]
    assert (report.received, report.rated, report.billed, report.quarantined) == (3, 2, 0, 1)
    assert report.waiting == 0
    assert not report.clean
    leaks = [
        (g.kind, g.product_id, g.bill_id, g.records, g.amount_minor, set(g.record_ids))
        for g in report.gaps
    ]
    assert leaks == [
        ("leakage", month.unbilled, bill_id, 0, 2000, set()),
        ("leakage", month.billed, bill_id, 2, 200, rated_ids),
        ("anomaly", month.gone, bill_id, 0, 3000, set()),
    ]
    assert report.gaps[2].line_id
    assert report.totals == {("anomaly", "EUR"): 3000, ("leakage", "EUR"): 2200}

    response = client.get("/reporting/v1/assurance", params={"period": "2026-01"})
    assert response.status_code == 200, response.text
    document = response.json()
    assert [gap["productId"] for gap in document["gaps"]] == [
        month.unbilled,
        month.billed,
        month.gone,
    ]
    assert document["totals"] == [
        {"kind": "anomaly", "currency": "EUR", "amount": "30.00"},
        {"kind": "leakage", "currency": "EUR", "amount": "22.00"},
    ]
    exported = client.get("/reporting/v1/assurance", params={"period": "2026-01", "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["kind"], r["reason"], r["records"], r["amount"]) for r in rows[:4]] == [
        ("usage", "suspense", "1", "0"),
        ("usage", "rated", "2", "2.00"),
        ("usage", "quarantined", "1", "0"),
        ("usage", "waiting", "0", "0"),
    ]
    assert [(r["kind"], r["product_id"], r["amount"]) for r in rows[4:]] == [
        ("leakage", month.unbilled, "20.00"),
        ("leakage", month.billed, "2.00"),
        ("anomaly", month.gone, "30.00"),
    ]
    assert set(rows[5]["record_ids"].split()) == rated_ids


def test_a_clean_month_reports_no_gap(client: TestClient, platform: bootstrap.Platform) -> None:
    month = _month(client, platform)
    with platform.database.unit_of_work() as s:
        add_bill(
            s,
            account=month.account,
            bill_date=day(2, 1, 12),
            lines=[
                ("recurring", month.billed, month.offering, 3000),
                ("recurring", month.unbilled, month.offering, 1400),
                ("usage", month.billed, month.offering, 200),
            ],
        )
        ids = [record.id for record in usage.unbilled_rated(s, period=JANUARY)]
        usage.mark_billed(s, ids=ids, now=day(2, 1, 12))
    with platform.database.unit_of_work(write=False) as s:
        report = reporting.revenue_assurance(s, period=JANUARY)
    assert report.clean, report.gaps
    assert report.totals == {}
    assert (report.received, report.rated, report.billed) == (3, 2, 2)


def test_usage_rated_after_the_bill_was_computed_waits_for_the_next_bill(
    client: TestClient, platform: bootstrap.Platform
) -> None:
    month = _month(client, platform)
    with platform.database.unit_of_work() as s:
        add_bill(
            s,
            account=month.account,
            bill_date=day(2, 1, 12),
            created_at=day(2, 1, 9),  # computed before the rating at 10:00
            lines=[
                ("recurring", month.billed, month.offering, 3000),
                ("recurring", month.unbilled, month.offering, 1400),
            ],
        )
    with platform.database.unit_of_work(write=False) as s:
        report = reporting.revenue_assurance(s, period=JANUARY)
    assert report.clean, report.gaps
    assert report.waiting == 2
