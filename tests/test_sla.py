"""Availability and the monthly SLA: interval arithmetic (hypothesis), outages from assurance's
events, the report, SlaBreached once per product and month, and billing's credit exactly once."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from ossbss import billing, bootstrap, performance
from ossbss.events.assurance import ServiceOutageEnded, ServiceOutageStarted
from ossbss.events.performance import SlaBreached
from ossbss.kernel import InvalidInput, OutboxMessage, Period, publish
from ossbss.performance import intervals
from ossbss.performance.sla import parse_policy
from reporting_world import add_product, recurring
from tmf_cases import create

OCTOBER = Period(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
T0 = OCTOBER.start
AFTER_OCTOBER = datetime(2026, 11, 1, 6, tzinfo=UTC)

# --- pure interval arithmetic ----------------------------------------------------------------

instants = st.integers(min_value=0, max_value=10_000).map(lambda s: T0 + timedelta(seconds=s))
spans = st.lists(st.tuples(instants, instants).map(lambda p: (min(p), max(p))), max_size=12)
PERIOD = (T0 + timedelta(seconds=1_000), T0 + timedelta(seconds=9_000))


@given(spans)
def test_availability_is_a_share_and_merging_changes_nothing(
    found: list[intervals.Interval],
) -> None:
    share = intervals.availability(found, PERIOD)
    assert 0 <= share <= 1
    assert intervals.availability(intervals.merge(found), PERIOD) == share
    assert intervals.availability(list(reversed(found)), PERIOD) == share
    merged = intervals.merge(found)
    assert all(a[1] < b[0] for a, b in itertools.pairwise(merged))


@given(spans, spans)
def test_more_outages_never_raise_availability(
    first: list[intervals.Interval], second: list[intervals.Interval]
) -> None:
    assert intervals.availability(first + second, PERIOD) <= intervals.availability(first, PERIOD)
    down = intervals.downtime(first + second, PERIOD)
    assert down <= intervals.downtime(first, PERIOD) + intervals.downtime(second, PERIOD)


def test_overlapping_outages_count_once_and_periods_are_half_open() -> None:
    hour = timedelta(hours=1)
    found = [(T0, T0 + 2 * hour), (T0 + hour, T0 + 3 * hour), (T0 - hour, T0)]
    assert intervals.downtime(found, (T0, T0 + 10 * hour)) == 3 * hour
    assert intervals.availability(found, (T0, T0 + 10 * hour)) == Fraction(7, 10)
    assert intervals.to_ppm(Fraction(999, 1000) - Fraction(1, 10**9)) == 998_999


def test_policy_terms_and_tiers() -> None:
    policy = performance.load_policy()
    assert policy.default.target_ppm == 999_000
    assert policy.default.credit_percent(999_000) == 0
    assert policy.default.credit_percent(998_999) == 10
    assert policy.default.credit_percent(989_999) == 25
    assert policy.terms_for("Fibre Business").target_ppm == 999_500
    with pytest.raises(ValueError, match=r"credit\[0\]\.below"):
        parse_policy({"credit": [{"below": "lots", "percent": 5}]})


def test_months_parse_to_half_open_periods() -> None:
    assert performance.month_period("2026-12") == Period(
        datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    )
    for bad in ("2026-13", "26-10", "october"):
        with pytest.raises(InvalidInput) as error:
            performance.month_period(bad)
        assert error.value.field == "month"


# --- outages from assurance's events ------------------------------------------------------


def outage(
    platform: bootstrap.Platform,
    *,
    alarm: str,
    service: str,
    products: tuple[str, ...],
    start: datetime,
    end: datetime | None,
    planned: bool = False,
) -> None:
    with platform.database.unit_of_work() as session:
        publish(
            session,
            ServiceOutageStarted(
                alarm_id=alarm,
                service_id=service,
                product_ids=products,
                customer_id="customer-1",
                planned=planned,
                started_at=start,
            ),
            now=platform.clock.now(),
        )
        if end is not None:
            publish(
                session,
                ServiceOutageEnded(alarm_id=alarm, service_id=service, ended_at=end),
                now=platform.clock.now(),
            )
    platform.dispatcher.run_pending()


def test_availability_of_a_service_from_its_outages(platform: bootstrap.Platform) -> None:
    hour = timedelta(hours=1)
    outage(platform, alarm="a1", service="s1", products=("p1",), start=T0 + hour, end=T0 + 3 * hour)
    outage(
        platform, alarm="a2", service="s1", products=("p1",), start=T0 + 2 * hour, end=T0 + 4 * hour
    )
    outage(
        platform,
        alarm="a3",
        service="s1",
        products=("p1",),
        start=T0 + 5 * hour,
        end=T0 + 6 * hour,
        planned=True,
    )
    outage(platform, alarm="a4", service="s2", products=("p2",), start=T0, end=None)
    day = Period(T0, T0 + timedelta(days=1))
    with platform.database.unit_of_work() as session:
        found = performance.availability(session, service_id="s1", period=day)
        with_planned = performance.availability(
            session, service_id="s1", period=day, include_planned=True
        )
        still_down = performance.availability(
            session, service_id="s2", period=day, now=T0 + 12 * hour
        )
    assert found.downtime_seconds == 3 * 3600
    assert found.availability_ppm == 875_000
    assert (found.outages, found.planned_outages) == (2, 1)
    assert with_planned.downtime_seconds == 4 * 3600
    assert still_down.availability_ppm == 0
    assert still_down.period.end == T0 + 12 * hour


def test_an_end_that_overtakes_its_start_is_kept(platform: bootstrap.Platform) -> None:
    hour = timedelta(hours=1)
    with platform.database.unit_of_work() as session:
        publish(
            session,
            ServiceOutageEnded(alarm_id="a1", service_id="s1", ended_at=T0 + 2 * hour),
            now=platform.clock.now(),
        )
    platform.dispatcher.run_pending()
    outage(platform, alarm="a1", service="s1", products=("p1",), start=T0 + hour, end=None)
    with platform.database.unit_of_work() as session:
        found = performance.availability(session, service_id="s1", period=Period(T0, T0 + 4 * hour))
    assert found.downtime_seconds == 3600


# --- the report, the breach and the credit ------------------------------------------------


def account(client: TestClient) -> str:
    individual = create(
        client, "/tmf-api/party/v4/individual", {"givenName": "Ada", "familyName": "L"}
    )
    customer = create(
        client,
        "/tmf-api/customerManagement/v4/customer",
        {
            "name": "Ada",
            "status": "Active",
            "engagedParty": {"id": individual["id"], "@referredType": "Individual"},
        },
    )
    owner = {"id": customer["id"], "role": "owner", "@referredType": "Customer", "name": "Ada"}
    body = {"name": "Ada's account", "currency": "EUR", "relatedParty": [owner]}
    return str(create(client, "/tmf-api/accountManagement/v4/billingAccount", body)["id"])


def offering(client: TestClient, name: str) -> str:
    body = {"name": name, "lifecycleStatus": "Launched"}
    return str(create(client, "/tmf-api/productCatalogManagement/v4/productOffering", body)["id"])


def test_report_breach_and_credit_exactly_once(
    platform: bootstrap.Platform, client: TestClient
) -> None:
    account_id = account(client)
    business, residential = offering(client, "Fibre Business"), offering(client, "Fibre 300")
    with platform.database.unit_of_work() as session:
        hurt = add_product(
            session,
            account=account_id,
            offering=business,
            start=T0 - timedelta(days=40),
            prices=[recurring(30)],
        )
        fine = add_product(
            session,
            account=account_id,
            offering=residential,
            start=T0 - timedelta(days=40),
            prices=[recurring(30)],
        )
    # 75 minutes down out of 744 hours: 99.83 % < 99.95 % (Fibre Business) -> 10 % of 30.00 EUR
    outage(
        platform,
        alarm="a1",
        service="s1",
        products=(hurt,),
        start=T0 + timedelta(days=3),
        end=T0 + timedelta(days=3, minutes=75),
    )
    outage(
        platform,
        alarm="a2",
        service="s2",
        products=(fine,),
        start=T0 + timedelta(days=4),
        end=T0 + timedelta(days=4, hours=5),
        planned=True,
    )
    with platform.database.unit_of_work() as session:
        report = performance.sla_report(session, month="2026-10")
    lines = {line.product_id: line for line in report.lines}
    assert lines[hurt].availability_ppm == 998_319
    assert lines[hurt].breached
    assert lines[hurt].credit_percent == 10
    assert lines[hurt].target_ppm == 999_500
    assert lines[fine].target_ppm == 999_000
    assert lines[hurt].service_ids == ("s1",)
    assert lines[fine].availability_ppm == 1_000_000  # planned: excluded by the policy
    assert not lines[fine].breached

    with platform.database.unit_of_work() as session, pytest.raises(InvalidInput) as error:
        performance.evaluate_sla(session, month="2026-10", now=T0 + timedelta(days=20))
    assert error.value.field == "month"
    with platform.database.unit_of_work() as session:
        first = performance.evaluate_sla(session, month="2026-10", now=AFTER_OCTOBER)
    with platform.database.unit_of_work() as session:
        again = performance.evaluate_sla(session, month="2026-10", now=AFTER_OCTOBER)
    assert [line.product_id for line in first] == [hurt]
    assert again == []
    platform.dispatcher.run_pending()

    # a redelivered or re-published breach credits nothing more
    with platform.database.unit_of_work() as session:
        payload = session.scalar(
            select(OutboxMessage.payload).where(OutboxMessage.topic == SlaBreached.topic)
        )
        assert payload is not None
        publish(session, SlaBreached.from_payload(payload), now=platform.clock.now())
    platform.dispatcher.run_pending()

    with platform.database.unit_of_work() as session:
        pending = billing.pending_adjustments(session, account_ids=[account_id])[account_id]
    assert len(pending) == 1
    credit = pending[0]
    assert credit.amount_minor == -300
    assert credit.currency == "EUR"
    assert credit.source == "sla"
    assert "availability 99.83 % < 99.95 % in 2026-10 for Fibre 300" in credit.description


def test_credit_rounds_half_even_in_minor_units() -> None:
    from decimal import Decimal

    from ossbss.billing.sla_credits import credit_minor, monthly_charge
    from ossbss.product_inventory import RecurringPrice

    assert (
        credit_minor(Decimal("29.95"), "EUR", 10) == 300
    )  # 2.995 -> 3.00 (half-even: 2.995 -> 3.00)
    assert credit_minor(Decimal("0.25"), "EUR", 10) == 2  # 0.025 -> 0.02
    assert credit_minor(Decimal("0.35"), "EUR", 10) == 4  # 0.035 -> 0.04
    yearly = [RecurringPrice(name=None, currency="EUR", amount=Decimal("120"), period="year")]
    assert monthly_charge(yearly, month_start=T0) == (Decimal("10"), "EUR")
    daily = [RecurringPrice(name=None, currency="EUR", amount=Decimal("1"), period="day")]
    assert monthly_charge(daily, month_start=T0) == (Decimal("31"), "EUR")


def test_a_configured_policy_replaces_the_shipped_one(tmp_path: Path) -> None:
    policy = tmp_path / "sla.toml"
    policy.write_text("target = 99.0\n[[credit]]\nbelow = 99.0\npercent = 5\n")
    performance.configure(sla_policy=policy)
    try:
        assert performance.load_policy().default.target_ppm == 990_000
    finally:
        performance.configure(sla_policy=None)
    assert performance.load_policy().default.target_ppm == 999_000
