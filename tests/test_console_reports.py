"""The reports page over HTTP: each chart carries its figures (revenue by offering and month,
MRR and ARPU, churn, aging, the busiest links) for the chosen months, and each CSV parses with
the same figures; churn is a reporting figure of its own (pure rule + query)."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from console_helpers import customer_login, sign_in, staff_user
from ordering_world import build
from ossbss import bootstrap, performance, reporting
from ossbss.kernel.time import Period
from reporting_world import JANUARY, add_bill, add_product, day, recurring, terminate
from test_kpi_capacity import network

CHART = re.compile(r"<canvas id=\"([^\"]+)\" data-chart='([^']*)'>")
NOVEMBER_1 = datetime(2025, 11, 1, tzinfo=UTC)
DECEMBER = Period(datetime(2025, 12, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))


def test_churn_counts_terminations_against_the_month_opening_base() -> None:
    lives = [
        (NOVEMBER_1, None),  # active throughout
        (NOVEMBER_1, datetime(2025, 12, 10, tzinfo=UTC)),  # churned in December
        (datetime(2025, 12, 5, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)),  # new, gone Jan 1
        (datetime(2026, 1, 20, tzinfo=UTC), None),  # started in January
    ]
    rows = reporting.churn_rows(lives, months=Period(DECEMBER.start, JANUARY.end))
    assert [
        (r.month, r.active_at_start, r.started, r.terminated, r.churn_percent) for r in rows
    ] == [
        ("2025-12", 2, 1, 1, "50.00"),
        ("2026-01", 1, 1, 1, "100.00"),
    ]
    (empty,) = reporting.churn_rows([], months=JANUARY)
    assert (empty.active_at_start, empty.churn_percent) == (0, "")


@pytest.fixture
def figures(client: TestClient, platform: bootstrap.Platform) -> dict[str, str]:
    """Two offerings billed in December and January, a product terminated in January, an
    unpaid January bill, and a link busy at 70% in January."""
    first, second = build(client), build(client, pool_cidr="100.64.1.0/29")
    fibre_offering, tv_offering = first.offering_id, second.offering_id
    a, b = first.account_id, second.account_id
    with platform.database.unit_of_work() as session:
        fibre = add_product(
            session, account=a, offering=fibre_offering, start=NOVEMBER_1, prices=[recurring(30)]
        )
        tv = add_product(
            session, account=b, offering=tv_offering, start=NOVEMBER_1, prices=[recurring(10)]
        )
        terminate(session, product_id=fibre, at=day(1, 10))
        fibre_line = ("recurring", fibre, fibre_offering, 3000)
        december = datetime(2025, 12, 2, tzinfo=UTC)
        add_bill(
            session, account=a, bill_date=december, period=DECEMBER, lines=[fibre_line], paid=3600
        )
        add_bill(session, account=a, bill_date=day(1, 2), lines=[fibre_line], due=day(1, 5))
        add_bill(
            session,
            account=b,
            bill_date=day(1, 2),
            lines=[("recurring", tv, tv_offering, 1000)],
            paid=1200,
        )
    link_id, port_a, port_b = network(client)
    samples = [
        performance.Sample(port, metric, day(1, 10) + timedelta(minutes=5 * slot), value)
        for slot in range(24)
        for port, value in ((port_a, 70.0), (port_b, 20.0))
        for metric in (performance.IN_UTILISATION, performance.OUT_UTILISATION)
    ]
    with platform.database.unit_of_work() as session:
        performance.record_samples(session, samples=samples, now=day(1, 12))
    return {"link": link_id, "fibre": fibre_offering, "tv": tv_offering}


def charts(html: str) -> dict[str, Any]:
    return {name: json.loads(data) for name, data in CHART.findall(html)}


def test_the_reports_page_draws_every_figure_for_the_chosen_months(
    client: TestClient, platform: bootstrap.Platform, figures: dict[str, str]
) -> None:
    sign_in(client, staff_user(platform, "readonly"))
    page = client.get("/reports", params={"from": "2025-12", "to": "2026-01"})
    assert page.status_code == 200, page.text
    drawn = charts(page.text)
    assert set(drawn) == {"chart-revenue", "chart-mrr", "chart-churn", "chart-aging", "chart-links"}

    revenue = drawn["chart-revenue"]
    assert revenue["labels"] == ["2025-12", "2026-01"]
    assert revenue["type"] == "bar"
    assert revenue["stacked"] is True
    by_label = {d["label"]: d["data"] for d in revenue["datasets"]}
    assert by_label == {
        f"name of {figures['fibre']} (EUR)": [30.0, 30.0],
        f"name of {figures['tv']} (EUR)": [0, 10.0],
    }

    mrr = {d["label"]: d["data"] for d in drawn["chart-mrr"]["datasets"]}
    assert mrr["MRR (EUR)"] == [40.0, 10.0]  # January ends without the fibre product
    assert mrr["ARPU (EUR)"] == [30.0, 20.0]

    churn = {d["label"]: d["data"] for d in drawn["chart-churn"]["datasets"]}
    assert churn == {"Active at month start": [2, 2], "Terminated": [0, 1]}
    assert "50.00%" in page.text

    aging = drawn["chart-aging"]
    assert aging["labels"][0] == "Not due"
    (eur,) = aging["datasets"]
    assert eur["label"] == "EUR"
    assert sum(eur["data"]) == 36.0

    links = drawn["chart-links"]
    assert links["labels"] == ["r1-r2"]
    assert links["datasets"][0]["data"] == [70.0]
    assert 'href="/reports/churn.csv?from=2025-12&amp;to=2026-01"' in page.text

    # A year's range still reads the links over its last 30 days (a year of 5-minute
    # averages would be past the KPI store's point limit).
    year = client.get("/reports", params={"from": "2025-02", "to": "2026-01"})
    assert year.status_code == 200, year.text
    assert charts(year.text)["chart-links"]["datasets"][0]["data"] == [70.0]


def test_each_report_exports_a_csv_with_the_same_figures(
    client: TestClient, platform: bootstrap.Platform, figures: dict[str, str]
) -> None:
    sign_in(client, staff_user(platform, "billing"))

    def rows(name: str) -> list[dict[str, str]]:
        response = client.get(f"/reports/{name}.csv", params={"from": "2025-12", "to": "2026-01"})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        assert response.headers["content-disposition"] == f'attachment; filename="{name}.csv"'
        return list(csv.DictReader(io.StringIO(response.text)))

    revenue = rows("revenue")
    assert {(r["month"], r["offering_id"], r["total"]) for r in revenue} == {
        ("2025-12", figures["fibre"], "30.00"),
        ("2026-01", figures["fibre"], "30.00"),
        ("2026-01", figures["tv"], "10.00"),
    }
    assert [(r["month"], r["mrr"]) for r in rows("mrr")] == [
        ("2025-12", "40.00"),
        ("2026-01", "10.00"),
    ]
    assert [(r["month"], r["arpu"]) for r in rows("arpu")] == [
        ("2025-12", "30.00"),
        ("2026-01", "20.00"),
    ]
    assert [(r["month"], r["terminated"], r["churn_percent"]) for r in rows("churn")] == [
        ("2025-12", "0", "0.00"),
        ("2026-01", "1", "50.00"),
    ]
    api = client.get("/reporting/v1/churn", params={"from": "2025-12", "to": "2026-01"})
    assert api.status_code == 200, api.text
    assert [(r["month"], r["churnPercent"]) for r in api.json()] == [
        ("2025-12", "0.00"),
        ("2026-01", "50.00"),
    ]
    (aging,) = rows("aging")
    assert aging["total"] == "36.00"
    (link,) = rows("links")
    assert (link["link_id"], link["percentile_95"]) == (figures["link"], "70.0")


def test_reports_refuse_unknown_names_bad_months_strangers_and_customers(
    client: TestClient, platform: bootstrap.Platform
) -> None:
    anonymous = client.get("/reports", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login")
    sign_in(client, customer_login(platform, "customer-1", "subscriber"))
    assert client.get("/reports").status_code == 403
    assert client.get("/reports/revenue.csv").status_code == 403
    sign_in(client, staff_user(platform, "noc"))
    assert client.get("/reports").status_code == 200  # the current six months, nothing billed
    assert client.get("/reports/nope.csv").status_code == 404
    bad = client.get("/reports", params={"from": "2026-13"})
    assert bad.status_code == 400
    assert client.get("/reports", params={"from": "2020-01", "to": "2026-01"}).status_code == 400


def test_mrr_by_month_is_the_mrr_at_each_month_end(
    client: TestClient, platform: bootstrap.Platform, figures: dict[str, str]
) -> None:
    months = Period(datetime(2025, 11, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))
    now = day(1, 20)
    with platform.database.unit_of_work(write=False) as session:
        series = reporting.mrr_by_month(session, months=months, now=now)
        expected = []
        for month, at in (
            ("2025-11", datetime(2025, 12, 1, tzinfo=UTC) - timedelta(microseconds=1)),
            ("2025-12", datetime(2026, 1, 1, tzinfo=UTC) - timedelta(microseconds=1)),
            ("2026-01", now),  # under way; February has not begun
        ):
            rows = reporting.mrr(session, at=at)
            expected.append((month, sum(r.products for r in rows), sum(r.mrr_minor for r in rows)))
    assert [(r.month, r.products, r.mrr_minor) for r in series] == expected
    assert expected == [("2025-11", 2, 4000), ("2025-12", 2, 4000), ("2026-01", 1, 1000)]


def test_the_page_keeps_its_figures_until_asked_to_recompute(
    client: TestClient, platform: bootstrap.Platform, figures: dict[str, str]
) -> None:
    """Months of bills and products take seconds to fold at scale: the figures are kept (the
    page says since when), the CSV exports the rows the page drew, and Recompute reads anew."""
    sign_in(client, staff_user(platform, "readonly"))
    window = {"from": "2025-12", "to": "2026-01"}
    first = charts(client.get("/reports", params=window).text)["chart-links"]
    with platform.database.unit_of_work() as session:
        session.execute(text("DELETE FROM performance_sample"))
        session.execute(text("DELETE FROM performance_rollup"))
    kept = client.get("/reports", params=window)
    assert "Figures as of 2026-01-15 09:30 UTC" in kept.text
    assert charts(kept.text)["chart-links"] == first
    assert "r1-r2" in client.get("/reports/links.csv", params=window).text
    fresh = client.get("/reports", params={**window, "fresh": "1"})
    assert charts(fresh.text)["chart-links"]["labels"] == []
