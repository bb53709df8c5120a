"""Ingestion: sanity rules, de-duplication on the record key, subscriber resolution and
suspense, in bulk. The one way records enter the room (RADIUS, CDR files, the API)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ossbss.events.usage import UsageIngested
from ossbss.kernel.db import after_commit
from ossbss.kernel.ids import new_id
from ossbss.kernel.outbox import publish
from ossbss.tmf import PAGES, ResourceChanged, has_subscribers
from ossbss.usage import bulk, domain, models
from ossbss.usage.domain import Identity, IngestReport, Subscriber, UsageInput
from ossbss.usage.resources import USAGE, USAGE_API

COLUMNS = (
    "id",
    "record_key",
    "kind",
    "subscriber",
    "started_at",
    "duration_seconds",
    "bytes_up",
    "bytes_down",
    "events",
    "destination",
    "source",
    "source_ref",
    "status",
    "reason",
    "product_id",
    "billing_account_id",
    "offering_id",
    "customer_id",
    "body",
    "created_at",
    "updated_at",
)
_LOOKUP_CHUNK = 900


def ingest(session: Session, *, records: Sequence[UsageInput], now: datetime) -> IngestReport:
    """Store what is sane and new; quarantine the rest with its reason. Never commits."""
    good: list[UsageInput] = []
    rejected = 0
    for record in records:
        reason = domain.problem(record, now)
        if reason is None:
            good.append(record)
        else:
            rejected += 1
            quarantine(
                session,
                source=record.source,
                source_ref=record.source_ref,
                raw=_raw(record),
                reason=reason,
                now=now,
            )
    identities = identities_of(session, {record.subscriber for record in good})
    sqlite = bulk.is_sqlite(session)
    when = bulk.timestamp(sqlite, now)
    guided: list[tuple[Any, ...]] = []
    suspended: list[tuple[Any, ...]] = []
    for record in good:
        subscriber = domain.resolve(identities.get(record.subscriber, ()), record.started_at)
        (guided if subscriber else suspended).append(_row(record, subscriber, sqlite, when))
    stored_guided = _insert(session, guided)
    stored_suspended = _insert(session, suspended)
    report = IngestReport(
        accepted=stored_guided,
        duplicates=len(good) - stored_guided - stored_suspended,
        suspended=stored_suspended,
        rejected=rejected,
    )
    if stored_guided or stored_suspended:
        after_commit(session, lambda: PAGES.forget(USAGE.name))
        _notify_hub(session, [row[0] for row in guided + suspended], now)
    if report.total:
        publish(
            session,
            UsageIngested(
                source=records[0].source if records else "api",
                accepted=report.accepted,
                duplicates=report.duplicates,
                suspended=report.suspended,
                rejected=report.rejected,
                occurred_at=now,
            ),
            now=now,
        )
    return report


def quarantine(
    session: Session, *, source: str, source_ref: str | None, raw: str, reason: str, now: datetime
) -> None:
    session.execute(
        insert(models.QuarantinedRecord).values(
            source=source[:16],
            source_ref=source_ref[:255] if source_ref else None,
            raw=raw,
            reason=reason[:255],
            at=now,
        )
    )


def identities_of(session: Session, identifiers: Iterable[str]) -> dict[str, list[Identity]]:
    """Every identity (past, present, future) of the given identifiers, in few queries."""
    table = models.SubscriberIdentity
    wanted = sorted(identifiers)
    found: dict[str, list[Identity]] = defaultdict(list)
    for start in range(0, len(wanted), _LOOKUP_CHUNK):
        chunk = wanted[start : start + _LOOKUP_CHUNK]
        for row in session.execute(select(table).where(table.identifier.in_(chunk))).scalars():
            found[row.identifier].append(
                Identity(
                    subscriber=Subscriber(
                        identifier=row.identifier,
                        product_id=row.product_id,
                        billing_account_id=row.billing_account_id,
                        offering_id=row.offering_id,
                        customer_id=row.customer_id,
                    ),
                    valid_from=row.valid_from,
                    valid_to=row.valid_to,
                )
            )
    return found


def _row(
    record: UsageInput, subscriber: Subscriber | None, sqlite: bool, when: Any
) -> tuple[Any, ...]:
    status = domain.GUIDED if subscriber else domain.RECEIVED
    customer_id = subscriber.customer_id if subscriber else None
    body = orjson.dumps(domain.document(record, status, customer_id)).decode()
    return (
        new_id(),
        record.record_key,
        record.kind,
        record.subscriber,
        bulk.timestamp(sqlite, record.started_at),
        record.duration_seconds,
        record.bytes_up,
        record.bytes_down,
        record.events,
        record.destination,
        record.source,
        record.source_ref[:255] if record.source_ref else None,
        status,
        None if subscriber else domain.UNKNOWN_SUBSCRIBER,
        subscriber.product_id if subscriber else None,
        subscriber.billing_account_id if subscriber else None,
        subscriber.offering_id if subscriber else None,
        customer_id,
        body,
        when,
        when,
    )


def _insert(session: Session, rows: list[tuple[Any, ...]]) -> int:
    """Insert rows whose record key is new; how many went in."""
    if not rows:
        return 0
    columns = ", ".join(COLUMNS)
    if bulk.is_sqlite(session):
        marks = ", ".join("?" for _ in COLUMNS)
        return bulk.execute_many(
            session,
            f"INSERT INTO usage_record ({columns}) VALUES ({marks}) "
            "ON CONFLICT (record_key) DO NOTHING",
            rows,
        )
    staged = bulk.stage(session, "usage_record", COLUMNS, rows)
    return bulk.execute(
        session,
        f"INSERT INTO usage_record ({columns}) SELECT {columns} FROM {staged} "
        "ON CONFLICT (record_key) DO NOTHING",
    )


def _notify_hub(session: Session, ids: list[str], now: datetime) -> None:
    """usageCreateEvent for each new record, only when someone subscribed to TMF635 (the
    answer is cached per transaction, so the bulk path pays one query per batch)."""
    if not has_subscribers(session, api=USAGE_API.name):
        return
    table = models.UsageRecord
    for start in range(0, len(ids), _LOOKUP_CHUNK):
        chunk = ids[start : start + _LOOKUP_CHUNK]
        for resource_id, body in session.execute(
            select(table.id, table.body).where(table.id.in_(chunk))
        ):
            publish(
                session,
                ResourceChanged(
                    api=USAGE_API.name,
                    resource=USAGE.name,
                    resource_id=resource_id,
                    change="Create",
                    document={"id": resource_id, "href": f"{USAGE.path}/{resource_id}", **body},
                    occurred_at=now,
                ),
                now=now,
            )


def _raw(record: UsageInput) -> str:
    return orjson.dumps(asdict(record), default=str).decode()
