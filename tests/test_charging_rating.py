"""The rating model (ADR 0014): worked examples per record, the same through the Polars batch
rater, and a property: the batch rater and the per-record rater agree to the unit."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ossbss.catalog import Tariff, parse_tariff, select_tariff
from ossbss.charging.batch import rate_frame
from ossbss.charging.rating import (
    Rated,
    UsageRecord,
    rate_one,
    rate_sequence,
    units_for_amount,
)
from ossbss.charging.tariff_choice import assign_tariffs

GB = 1024**3
MB = 1024**2
JAN = datetime(2026, 1, 1, tzinfo=UTC)
MONDAY = datetime(2026, 1, 12, tzinfo=UTC)  # a Monday in winter (Paris = UTC+1)
EUR6 = 10**6  # rated amounts of EUR are in 10^-6 (2 minor digits + 4 rate digits)


def tariff(price_id: str = "p", **terms: Any) -> Tariff:
    return parse_tariff(price_id, {"name": price_id, "priceType": "usage", **terms})


def eur(value: float | str) -> dict[str, Any]:
    return {"unit": "EUR", "value": float(value)}


def data(at: datetime, size: int, key: str = "r") -> UsageRecord:
    return UsageRecord(key, "data", at, bytes_up=size // 3, bytes_down=size - size // 3)


def call(at: datetime, seconds: int, to: str = "331", key: str = "r") -> UsageRecord:
    return UsageRecord(key, "voice", at, duration_seconds=seconds, destination=to)


def frame_of(
    items: list[tuple[str, UsageRecord]], product: str = "prod", period: datetime = JAN
) -> pl.DataFrame:
    """The batch input for (price_id, record) pairs."""
    rows = [
        {
            "id": index,
            "record_key": record.record_key,
            "kind": record.kind,
            "product_id": product,
            "price_id": price_id,
            "started_at": record.started_at,
            "duration_seconds": record.duration_seconds,
            "bytes_up": record.bytes_up,
            "bytes_down": record.bytes_down,
            "events": record.events,
            "destination": record.destination,
            "period_start": period,
        }
        for index, (price_id, record) in enumerate(items)
    ]
    return pl.DataFrame(rows, schema=SCHEMA)


SCHEMA: dict[str, Any] = {
    "id": pl.Int64,
    "record_key": pl.String,
    "kind": pl.String,
    "product_id": pl.String,
    "price_id": pl.String,
    "started_at": pl.Datetime("us", "UTC"),
    "duration_seconds": pl.Int64,
    "bytes_up": pl.Int64,
    "bytes_down": pl.Int64,
    "events": pl.Int64,
    "destination": pl.String,
    "period_start": pl.Datetime("us", "UTC"),
}
COMPARED = (
    "status",
    "amount",
    "scale",
    "currency",
    "price_id",
    "rated_quantity",
    "included_used",
    "chargeable_quantity",
    "band",
    "zone",
    "reason",
)


def as_row(rated: Rated) -> dict[str, Any]:
    return {name: getattr(rated, name) for name in COMPARED}


def batch_rows(frame: pl.DataFrame, tariffs: list[Tariff], **options: Any) -> list[dict[str, Any]]:
    return rate_frame(frame, tariffs, **options).select(COMPARED).to_dicts()


def rated_in_order(the_tariff: Tariff, records: list[UsageRecord]) -> list[dict[str, Any]]:
    """Per-record rating, in the model's order, and the batch rater on the same records."""
    sequential = [as_row(rated) for rated in rate_sequence(the_tariff, records)]
    ordered = sorted(records, key=lambda r: (r.started_at, r.record_key))
    batch = batch_rows(frame_of([(the_tariff.price_id, r) for r in ordered]), [the_tariff])
    assert batch == sequential
    return sequential


# --- worked examples -------------------------------------------------------------------------


def test_ten_gb_included_then_a_price_per_gb() -> None:
    plan = tariff(
        unitOfMeasure={"amount": 1, "units": "GB"},
        includedQuantity={"amount": 10, "units": "GB"},
        price=eur(2),
    )
    day = MONDAY
    rows = rated_in_order(
        plan,
        [data(day, 8 * GB, "a"), data(day + timedelta(hours=1), 3 * GB, "b"), data(day, 1, "0")],
    )
    # "0" (1 byte) starts first (same instant, smaller key) and is free; then 8 GB free, then
    # the allowance has 2 GB - 1 byte left of the 3 GB: 1 GB + 1 byte charged at 2 EUR/GB.
    assert [r["included_used"] for r in rows] == [1, 8 * GB, 2 * GB - 1]
    assert [r["chargeable_quantity"] for r in rows] == [0, 0, GB + 1]
    assert [r["amount"] for r in rows] == [0, 0, 2 * EUR6 + 0]  # 1 byte = 0.0000019 EUR -> 0
    assert rows[2]["status"] == "rated"
    assert rows[2]["scale"] == 6


def test_demo_tiers_count_from_the_end_of_the_allowance() -> None:
    """The demo's data price: 5 GB included, then 0.002 EUR/MB for 10 GB, 0.001 EUR/MB after."""
    plan = tariff(
        unitOfMeasure={"amount": 1, "units": "MB"},
        includedQuantity={"amount": 5 * 1024, "units": "MB"},
        tier=[
            {"fromQuantity": 0, "toQuantity": 10240, "price": eur("0.002")},
            {"fromQuantity": 10240, "price": eur("0.001")},
        ],
    )
    month = [data(MONDAY + timedelta(days=i), 4 * GB, f"d{i}") for i in range(6)]
    rows = rated_in_order(plan, month)
    # 24 GB: 5 free, 10 at 2.048 EUR/GB (20.48 EUR), 9 at 1.024 EUR/GB (9.216 EUR).
    assert sum(r["amount"] for r in rows) == 20_480_000 + 9_216_000
    # The 4th record covers 12..16 GB used, 7..11 GB chargeable: split at the tier boundary
    # (10 GB chargeable), 3 GB at 0.002 EUR/MB and 1 GB at 0.001; the 5th is all in tier 2.
    assert rows[3]["amount"] == 3 * 1024 * 2000 + 1024 * 1000
    assert rows[4]["amount"] == 4 * 1024 * 1000
    assert rows[0]["amount"] == 0
    assert rows[1]["amount"] == 3 * 1024 * 2000


def test_tier_boundaries_are_half_open() -> None:
    plan = tariff(
        unitOfMeasure={"units": "event"},
        includedQuantity={"amount": 2, "units": "event"},
        tier=[
            {"fromQuantity": 0, "toQuantity": 3, "price": eur("0.10")},
            {"fromQuantity": 3, "price": eur("0.05")},
        ],
    )
    texts = [UsageRecord(f"s{i}", "sms", MONDAY + timedelta(minutes=i), events=1) for i in range(7)]
    rows = rated_in_order(plan, texts)
    assert [r["amount"] for r in rows] == [0, 0, 100_000, 100_000, 100_000, 50_000, 50_000]


def test_sixty_sixty_and_one_one_increments_and_zero_duration() -> None:
    terms = {"unitOfMeasure": {"units": "min"}, "price": eur("0.06")}
    per_minute = tariff(billingIncrement={"first": 60, "next": 60}, **terms)
    per_second = tariff(billingIncrement={"first": 1, "next": 1}, **terms)
    durations = [0, 1, 59, 60, 61, 121]
    minute_rows = [rate_one(per_minute, call(MONDAY, s), 0) for s in durations]
    second_rows = [rate_one(per_second, call(MONDAY, s), 0) for s in durations]
    assert [r.rated_quantity for r in minute_rows] == [0, 60, 60, 60, 120, 180]
    assert [r.amount for r in minute_rows] == [0, 60_000, 60_000, 60_000, 120_000, 180_000]
    assert [r.rated_quantity for r in second_rows] == durations
    assert [r.amount for r in second_rows] == [0, 1_000, 59_000, 60_000, 61_000, 121_000]
    assert minute_rows[0].status == "rated"  # zero is rated, as zero: no minimum charge
    first_then_next = tariff(billingIncrement={"first": 30, "next": 6}, **terms)
    assert rate_one(first_then_next, call(MONDAY, 31), 0).rated_quantity == 36


def test_rounding_is_half_even_once_per_record() -> None:
    # 0.000001 EUR (1 fine unit) per 2 seconds: 1 s = 0.5 -> 0, 3 s = 1.5 -> 2, 5 s = 2.5 -> 2.
    plan = tariff(unitOfMeasure={"amount": 2, "units": "s"}, price=eur("0.000001"))
    assert [rate_one(plan, call(MONDAY, s), 0).amount for s in (1, 3, 5, 7)] == [0, 2, 2, 4]
    rated_in_order(plan, [call(MONDAY + timedelta(seconds=s), s, key=str(s)) for s in (1, 3, 5)])


WEEKDAY_PEAK = {
    "timeZone": "Europe/Paris",
    "timeBand": [
        {
            "name": "peak",
            "weekdays": ["mon", "tue", "wed", "thu", "fri"],
            "startTime": "08:00",
            "endTime": "20:00",
            "percentage": 100,
        },
        {
            "name": "evening",
            "weekdays": ["mon", "tue", "wed", "thu", "fri"],
            "startTime": "20:00",
            "endTime": "24:00",
            "percentage": 50,
        },
        {
            "name": "weekend",
            "weekdays": ["sat", "sun"],
            "startTime": "00:00",
            "endTime": "24:00",
            "percentage": 25.5,
        },
    ],
}


def test_a_call_is_rated_in_the_band_of_its_start_instant() -> None:
    plan = tariff(unitOfMeasure={"units": "min"}, price=eur("0.10"), **WEEKDAY_PEAK)
    # 08:00 in Paris is 07:00 UTC in January.
    before = call(MONDAY + timedelta(hours=6, minutes=59, seconds=59), 600, key="a")
    at = call(MONDAY + timedelta(hours=7), 600, key="b")
    evening = call(MONDAY + timedelta(hours=19), 600, key="c")
    saturday = call(MONDAY + timedelta(days=5, hours=3), 600, key="d")
    rows = rated_in_order(plan, [before, at, evening, saturday])
    assert [r["band"] for r in rows] == [None, "peak", "evening", "weekend"]
    # 10 minutes at 0.10: 1 EUR at 100% (also outside any band), 0.50, 0.255.
    assert [r["amount"] for r in rows] == [EUR6, EUR6, EUR6 // 2, 255_000]


def test_bands_follow_daylight_saving_time() -> None:
    plan = tariff(unitOfMeasure={"units": "min"}, price=eur("0.10"), **WEEKDAY_PEAK)
    summer_monday = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)  # 08:00 in Paris (UTC+2)
    assert rate_one(plan, call(summer_monday, 60), 0).band == "peak"
    assert rate_one(plan, call(summer_monday - timedelta(seconds=1), 60), 0).band is None


ZONES = {
    "billingIncrement": {"first": 60, "next": 60},
    "destinationZone": [
        {"name": "UK", "prefixes": ["44"], "price": eur("0.20")},
        {"name": "UK mobile", "prefixes": ["447", "4478"], "price": eur("0.30")},
        {"name": "Satellite", "prefixes": ["870"]},
    ],
}


def test_the_longest_prefix_across_all_zones_wins() -> None:
    plan = tariff(unitOfMeasure={"units": "min"}, **ZONES)
    rows = rated_in_order(
        plan,
        [
            call(MONDAY, 60, "+442071234567", "a"),
            call(MONDAY, 60, "447911123456", "b"),
            call(MONDAY, 60, "4478", "c"),
            call(MONDAY, 60, "4", "d"),
        ],
    )
    assert [r["zone"] for r in rows] == ["UK", "UK mobile", "UK mobile", None]
    assert [r["amount"] for r in rows[:3]] == [200_000, 300_000, 300_000]
    assert rows[3]["status"] == "rejected"
    assert rows[3]["reason"] == "no price for zone: destination '4' matches none"


def test_a_zone_without_price_rejects_the_record_and_keeps_the_others() -> None:
    plan = tariff(
        unitOfMeasure={"units": "min"}, includedQuantity={"amount": 1, "units": "min"}, **ZONES
    )
    rows = rated_in_order(plan, [call(MONDAY, 60, "870123", "a"), call(MONDAY, 120, "441", "b")])
    assert rows[0] == {
        **rows[0],
        "status": "rejected",
        "amount": 0,
        "zone": "Satellite",
        "reason": "no price for zone Satellite",
        "rated_quantity": 0,
    }
    # The rejected call used none of the included minute.
    assert rows[1]["included_used"] == 60
    assert rows[1]["amount"] == 200_000


def test_batch_keeps_input_order_rejects_unknown_tariffs_and_starts_from_used_before() -> None:
    plan = tariff(
        unitOfMeasure={"units": "GB"}, includedQuantity={"amount": 1, "units": "GB"}, price=eur(1)
    )
    frame = frame_of(
        [
            ("p", data(MONDAY + timedelta(hours=2), GB, "late")),
            ("nope", data(MONDAY, 1, "x")),
            ("p", data(MONDAY, GB // 2, "early")),
        ]
    )
    # What earlier runs rated, given in two parts for the same key (summed, never duplicated).
    start = pl.DataFrame(
        {
            "product_id": ["prod", "prod", "other"],
            "price_id": ["p", "p", "p"],
            "period_start": [JAN, JAN, JAN],
            "used_before": [GB // 8, GB // 8, GB],
        },
        schema_overrides={"period_start": pl.Datetime("us", "UTC")},
    )
    result = rate_frame(frame, [plan], used_before=start)
    assert result["record_key"].to_list() == ["late", "x", "early"]
    assert result["included_used"].to_list() == [GB // 4, 0, GB // 2]
    assert result["amount"].to_list() == [750_000, 0, 0]
    assert result["reason"].to_list() == [None, "no tariff nope", None]
    assert result["id"].to_list() == [0, 1, 2]


def test_a_record_of_another_kind_is_rejected() -> None:
    plan = tariff(unitOfMeasure={"units": "MB"}, price=eur("0.01"))
    rows = rated_in_order(plan, [call(MONDAY, 60)])
    assert rows[0]["reason"] == "a voice record cannot be rated by a data tariff"


def test_units_for_amount_buys_exactly_what_rate_one_charges() -> None:
    plan = tariff(
        unitOfMeasure={"units": "min"},
        includedQuantity={"amount": 2, "units": "min"},
        billingIncrement={"first": 60, "next": 30},
        tier=[
            {"fromQuantity": 0, "toQuantity": 5, "price": eur("0.10")},
            {"fromQuantity": 5, "price": eur("0.05")},
        ],
        **WEEKDAY_PEAK,
    )
    at = MONDAY + timedelta(hours=19, minutes=30)  # evening band: 50%
    for used in (0, 60, 119, 600):
        for amount in (0, 1, 49_999, 50_000, 123_456, 10**7):
            granted = units_for_amount(plan, amount, at=at, used_before=used)
            assert rate_one(plan, call(at, granted), used).amount <= amount
            more = rate_one(plan, call(at, granted + 1), used)
            assert more.amount > amount
    zoned = tariff(unitOfMeasure={"units": "min"}, **ZONES)
    assert units_for_amount(zoned, EUR6, at=at, used_before=0, destination="44") == 300
    assert units_for_amount(zoned, EUR6, at=at, used_before=0, destination="870") == 0
    free = tariff(unitOfMeasure={"units": "min"}, price=eur(0))
    assert units_for_amount(free, 0, at=at, used_before=0, limit=3600) == 3600


def test_assign_tariffs_picks_the_price_valid_when_the_record_started() -> None:
    old = tariff(
        "old",
        unitOfMeasure={"units": "MB"},
        price=eur("0.01"),
        validFor={"startDateTime": "2025-01-01T00:00:00Z", "endDateTime": "2026-01-10T00:00:00Z"},
    )
    new = tariff(
        "new",
        unitOfMeasure={"units": "MB"},
        price=eur("0.02"),
        validFor={"startDateTime": "2026-01-10T00:00:00Z"},
    )
    frame = (
        frame_of(
            [("", data(datetime(2026, 1, 9, tzinfo=UTC), MB, "a")), ("", data(MONDAY, MB, "b"))]
        )
        .drop("price_id")
        .with_columns(offering_id=pl.lit("mobile"))
    )
    chosen = assign_tariffs(frame, {"mobile": [old, new]})
    assert chosen["price_id"].to_list() == ["old", "new"]
    assert rate_frame(chosen, [old, new])["amount"].to_list() == [10_000, 20_000]


# --- the property: batch == per record -------------------------------------------------------

UNITS = {"data": ["B", "KB", "MB"], "voice": ["s", "min"], "sms": ["event", "sms"]}
PREFIXES = ["1", "12", "123", "4", "44", "447", "4478", "33", "336"]
ZONE_NAMES = ["A", "B", "C"]
TIME_ZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"]
# Around a weekend, the Paris spring DST change (2026-03-29) and a month's end.
INSTANTS = st.datetimes(
    min_value=datetime(2026, 3, 26), max_value=datetime(2026, 4, 1), timezones=st.just(UTC)
)
MINUTES = st.sampled_from([0, 1, 59, 60, 480, 719, 720, 1080, 1439, 1440])


def money_value() -> st.SearchStrategy[dict[str, Any]]:
    return st.integers(0, 3_000_000).map(lambda n: {"unit": "EUR", "value": n / 10**6})


@st.composite
def bands(draw: st.DrawFn) -> list[dict[str, Any]]:
    cuts = sorted(draw(st.sets(MINUTES, min_size=2, max_size=5)))
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    result = []
    for index, (start, end) in enumerate(itertools.pairwise(cuts)):
        if draw(st.booleans()):
            continue
        chosen = draw(st.lists(st.sampled_from(days), min_size=1, max_size=7, unique=True))
        result.append(
            {
                "name": f"band{index}",
                "weekdays": chosen,
                "startTime": f"{start // 60:02d}:{start % 60:02d}",
                "endTime": f"{end // 60:02d}:{end % 60:02d}",
                "percentage": draw(st.integers(0, 30_000)) / 100,
            }
        )
    return result


@st.composite
def tariff_documents(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(list(UNITS)))
    units = draw(st.sampled_from(UNITS[kind]))
    document: dict[str, Any] = {
        "priceType": "usage",
        "unitOfMeasure": {"amount": draw(st.sampled_from([1, 2, 10])), "units": units},
        "billingIncrement": {"first": draw(st.integers(1, 90)), "next": draw(st.integers(1, 60))},
        "timeZone": draw(st.sampled_from(TIME_ZONES)),
    }
    if draw(st.booleans()):
        document["includedQuantity"] = {"amount": draw(st.integers(0, 20)), "units": units}
    if draw(st.booleans()):
        document["timeBand"] = draw(bands())
    pricing = draw(
        st.sampled_from(["price", "tier", "zone"] if kind != "data" else ["price", "tier"])
    )
    if pricing == "price":
        document["price"] = draw(money_value())
    elif pricing == "tier":
        cuts = sorted(draw(st.sets(st.integers(1, 30), max_size=3)))
        bounds = [0, *cuts]
        document["tier"] = [
            {
                "fromQuantity": start,
                **({"toQuantity": bounds[i + 1]} if i + 1 < len(bounds) else {}),
                "price": draw(money_value()),
            }
            for i, start in enumerate(bounds)
        ]
    else:
        prefixes = draw(st.lists(st.sampled_from(PREFIXES), min_size=1, max_size=6, unique=True))
        owners = [draw(st.sampled_from(ZONE_NAMES)) for _ in prefixes]
        document["destinationZone"] = [
            {
                "name": name,
                "prefixes": [p for p, owner in zip(prefixes, owners, strict=True) if owner == name],
                # Some zones have no price (their records are rejected); the first has one.
                **(
                    {"price": draw(money_value())}
                    if name == owners[0] or draw(st.integers(0, 4))
                    else {}
                ),
            }
            for name in ZONE_NAMES
            if name in owners
        ]
    return document


@st.composite
def records(draw: st.DrawFn, kinds: list[str]) -> list[tuple[int, UsageRecord, str, datetime]]:
    count = draw(st.integers(0, 25))
    result = []
    for index in range(count):
        kind = draw(st.sampled_from([*kinds, "voice"]))
        small = st.integers(-1, 3000) if draw(st.integers(0, 20)) == 0 else st.integers(0, 3000)
        record = UsageRecord(
            record_key=f"k{draw(st.integers(0, 10**6))}-{index}",
            kind=kind,
            started_at=draw(INSTANTS),
            duration_seconds=draw(small),
            bytes_up=draw(st.integers(0, 50 * 1024)),
            bytes_down=draw(st.integers(0, 5 * MB)),
            events=draw(st.integers(0, 4)),
            destination=draw(
                st.one_of(st.none(), st.from_regex(r"\A\+?(1|12|4|44|447|3|33|336|9)[0-9]{0,4}\Z"))
            ),
        )
        result.append(
            (
                draw(st.integers(0, 1)),
                record,
                draw(st.sampled_from(["p1", "p2"])),
                draw(st.sampled_from([JAN, datetime(2026, 3, 1, tzinfo=UTC)])),
            )
        )
    return result


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents=st.lists(tariff_documents(), min_size=1, max_size=2), data=st.data())
def test_batch_and_per_record_rating_agree_to_the_unit(
    documents: list[dict[str, Any]], data: st.DataObject
) -> None:
    tariffs = [parse_tariff(f"t{i}", document) for i, document in enumerate(documents)]
    drawn = data.draw(records([t.kind for t in tariffs]))
    start_used = data.draw(st.integers(0, 5000))
    rows = []
    groups: dict[tuple[str, str, datetime], list[UsageRecord]] = defaultdict(list)
    for which, record, product, period in drawn:
        the_tariff = tariffs[which % len(tariffs)]
        groups[(product, the_tariff.price_id, period)].append(record)
        rows.append((the_tariff.price_id, record, product, period))
    expected: dict[str, dict[str, Any]] = {}
    for (product, price_id, _period), group in groups.items():
        the_tariff = next(t for t in tariffs if t.price_id == price_id)
        used = start_used if product == "p1" else 0
        ordered = sorted(group, key=lambda r: (r.started_at, r.record_key))
        for record, rated in zip(ordered, rate_sequence(the_tariff, group, used), strict=True):
            expected[record.record_key] = as_row(rated)
    frame = (
        pl.concat(
            [
                frame_of([(price_id, record)], product, period)
                for price_id, record, product, period in rows
            ],
            how="vertical",
        )
        if rows
        else frame_of([])
    )
    start = pl.DataFrame(
        [
            ("p1", t.price_id, period, start_used)
            for t in tariffs
            for period in (JAN, datetime(2026, 3, 1, tzinfo=UTC))
        ],
        schema={
            "product_id": pl.String,
            "price_id": pl.String,
            "period_start": pl.Datetime("us", "UTC"),
            "used_before": pl.Int64,
        },
        orient="row",
    )
    result = rate_frame(frame, tariffs, used_before=start)
    assert result["record_key"].to_list() == [record.record_key for _, record, _, _ in rows]
    for row in result.select("record_key", *COMPARED).to_dicts():
        assert {name: row[name] for name in COMPARED} == expected[row["record_key"]], row[
            "record_key"
        ]


def test_an_empty_frame_rates_to_an_empty_frame() -> None:
    assert rate_frame(
        frame_of([]), [tariff(unitOfMeasure={"units": "MB"}, price=eur(1))]
    ).is_empty()


@pytest.mark.parametrize("rows", [1, 3])
def test_large_quantities_do_not_overflow(rows: int) -> None:
    # 1 PB at 2.9999 EUR per GB x 300%: 2^50 x 2,999,900 x 30,000 is far beyond Int64
    # before the division by 2^30 x 10,000.
    plan = tariff(
        unitOfMeasure={"units": "GB"},
        price=eur("2.9999"),
        timeBand=[
            {
                "name": "x3",
                "weekdays": ["mon"],
                "startTime": "00:00",
                "endTime": "24:00",
                "percentage": 300,
            }
        ],
    )
    records = [data(MONDAY, 1024**5, f"r{i}") for i in range(rows)]
    rows_rated = rated_in_order(plan, records)
    assert [row["amount"] for row in rows_rated] == [2**20 * 8_999_700] * rows


DAYS = st.integers(0, 5).map(lambda d: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=d))


@settings(max_examples=60, deadline=None)
@given(
    windows=st.lists(
        st.tuples(
            st.sampled_from(["data", "voice"]),
            st.one_of(st.none(), DAYS),
            st.one_of(st.none(), DAYS),
        ),
        min_size=1,
        max_size=5,
    ),
    instants=st.lists(
        st.tuples(st.sampled_from(["data", "voice", "sms"]), DAYS, st.booleans()), max_size=8
    ),
)
def test_assign_tariffs_is_select_tariff_column_wise(
    windows: list[tuple[str, datetime | None, datetime | None]],
    instants: list[tuple[str, datetime, bool]],
) -> None:
    tariffs = [
        tariff(
            f"t{i}",
            unitOfMeasure={"units": "MB" if kind == "data" else "min"},
            price=eur(1),
            validFor={
                key: value.isoformat()
                for key, value in (("startDateTime", start), ("endDateTime", end))
                if value is not None
            },
        )
        for i, (kind, start, end) in enumerate(windows)
    ]
    frame = pl.DataFrame(
        {
            "offering_id": ["o" if known else "other" for _, _, known in instants],
            "kind": [kind for kind, _, _ in instants],
            "started_at": [at for _, at, _ in instants],
        },
        schema={
            "offering_id": pl.String,
            "kind": pl.String,
            "started_at": pl.Datetime("us", "UTC"),
        },
    )
    chosen = assign_tariffs(frame, {"o": tariffs})["price_id"].to_list()
    expected = []
    for kind, at, known in instants:
        found = select_tariff(tariffs, kind, at) if known else None
        expected.append(found.price_id if found else None)
    assert chosen == expected
