"""The demo subscribers' usage since they joined, rated day by day: mobile data sessions,
calls (mostly UK, some to Europe, America and premium numbers, more in the evening and at
weekends) and texts;
fibre downloads of a few GB a day. Deterministic: the same subscriber and day always give the
same records, so a reload reproduces them (and their record keys de-duplicate)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from rich.console import Console

from ossbss import charging, usage
from ossbss.kernel.time import Period

if TYPE_CHECKING:
    from ossbss.bootstrap import Platform

DAYS = 80
MB = 1024 * 1024
GB = 1024 * MB
# (prefix, weight): who the demo's subscribers call.
DESTINATIONS = (
    ("447", 60),  # UK mobiles
    ("4420", 20),  # London
    ("449", 2),  # UK premium rate
    ("33", 5),
    ("49", 5),
    ("353", 3),
    ("1", 4),
    ("61", 1),
)
# Hour-of-day weights: quiet at night, busy in the evening.
HOURS = (1, 1, 1, 1, 1, 1, 2, 4, 6, 6, 6, 6, 7, 6, 6, 6, 7, 8, 10, 12, 12, 10, 6, 3)


@dataclass(frozen=True, slots=True)
class UsageReport:
    records: int
    rated: int
    amounts: dict[str, int]  # minor units per currency


def load_usage(platform: Platform, *, until: datetime, console: Console) -> UsageReport:
    """Usage of everyone on the network over the ``DAYS`` days before ``until`` (from the
    day each subscription started), ingested and rated."""
    since = until - timedelta(days=DAYS)
    with platform.database.unit_of_work(write=False) as session:
        identities = _one_per_product(usage.current_identities(session, at=until))
    records = [
        record
        for identity in identities
        for record in _usage_of(identity, max(since, identity.valid_from), until)
    ]
    with platform.database.unit_of_work() as session:
        usage.ingest(session, records=records, now=until)
    earliest = min((record.started_at for record in records), default=since)
    rated, amounts = _rate_daily(platform, since=earliest, until=until)
    console.print(
        f"demo: {len(records)} usage records of {len(identities)} subscribers, {rated} rated"
    )
    return UsageReport(len(records), rated, amounts)


def _rate_daily(
    platform: Platform, *, since: datetime, until: datetime
) -> tuple[int, dict[str, int]]:
    """Rate each day's usage shortly after the day ends, as a nightly rating run would: a
    bill run then finds every record of its period rated before it started."""
    rated, amounts = 0, dict[str, int]()
    day = since.replace(hour=0, minute=0, second=0, microsecond=0)
    while day < until:
        end = min(day + timedelta(days=1), until)
        with platform.database.unit_of_work() as session:
            summary = charging.rate_period(
                session, period=Period(day, end), now=min(end + timedelta(hours=1), until)
            )
        rated += summary.rated
        for currency, minor in summary.amounts.items():
            amounts[currency] = amounts.get(currency, 0) + minor
        day = end
    return rated, amounts


def _one_per_product(identities: list[usage.Identity]) -> list[usage.Identity]:
    """A mobile line has a username and an MSISDN (often equal): its usage comes once."""
    chosen: dict[str, usage.Identity] = {}
    for identity in identities:
        chosen.setdefault(identity.subscriber.product_id, identity)
    return list(chosen.values())


def _usage_of(
    identity: usage.Identity, since: datetime, until: datetime
) -> Iterator[usage.UsageInput]:
    subscriber = identity.subscriber.identifier
    mobile = subscriber.isdigit()  # MSISDNs are digits; fibre usernames are not
    day = since.replace(hour=0, minute=0, second=0, microsecond=0)
    while day < until:
        rng = random.Random(f"{subscriber}:{day.date().isoformat()}")
        daily = _mobile_day(rng, subscriber, day) if mobile else _fibre_day(rng, subscriber, day)
        yield from (record for record in daily if since <= record.started_at < until)
        day += timedelta(days=1)


def _start(rng: random.Random, day: datetime) -> datetime:
    hour = rng.choices(range(24), weights=HOURS)[0]
    return day + timedelta(hours=hour, seconds=rng.randrange(3600))


def _mobile_day(rng: random.Random, subscriber: str, day: datetime) -> list[usage.UsageInput]:
    key = f"demo:{subscriber}:{day.date().isoformat()}"
    records = [
        usage.UsageInput(
            record_key=f"{key}:data:{n}",
            kind="data",
            subscriber=subscriber,
            started_at=_start(rng, day),
            duration_seconds=rng.randrange(60, 3600),
            bytes_down=int(rng.lognormvariate(4, 1) * MB),
            bytes_up=int(rng.lognormvariate(2, 1) * MB),
            source="radius",
        )
        for n in range(rng.randrange(2, 7))
    ]
    weekend = day.weekday() >= 5
    for n in range(rng.randrange(1, 8 if weekend else 5)):
        prefix = rng.choices([p for p, _ in DESTINATIONS], weights=[w for _, w in DESTINATIONS])[0]
        records.append(
            usage.UsageInput(
                record_key=f"{key}:voice:{n}",
                kind="voice",
                subscriber=subscriber,
                started_at=_start(rng, day),
                duration_seconds=int(rng.expovariate(1 / 150)),
                destination=prefix + "".join(rng.choices("0123456789", k=12 - len(prefix))),
                source="cdr",
            )
        )
    for n in range(rng.randrange(0, 4)):
        records.append(
            usage.UsageInput(
                record_key=f"{key}:sms:{n}",
                kind="sms",
                subscriber=subscriber,
                started_at=_start(rng, day),
                events=1,
                destination="447" + "".join(rng.choices("0123456789", k=9)),
                source="cdr",
            )
        )
    return records


def _fibre_day(rng: random.Random, subscriber: str, day: datetime) -> list[usage.UsageInput]:
    key = f"demo:{subscriber}:{day.date().isoformat()}"
    return [
        usage.UsageInput(
            record_key=f"{key}:data:{n}",
            kind="data",
            subscriber=subscriber,
            started_at=day + timedelta(hours=6 * n),
            duration_seconds=6 * 3600,
            bytes_down=int(rng.uniform(0.2, 4) * GB),
            bytes_up=int(rng.uniform(0.02, 0.4) * GB),
            source="radius",
        )
        for n in range(4)
    ]
