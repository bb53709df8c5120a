"""Ingestion: sanity rules, de-duplication on the record key, subscriber resolution and
suspense, in bulk. The one way records enter the room (RADIUS, CDR files, the API)."""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, astuple
from datetime import datetime
from typing import Any

import orjson
import polars as pl
from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ossbss.events.usage import UsageIngested
from ossbss.kernel.db import after_commit
from ossbss.kernel.outbox import publish
from ossbss.tmf import PAGES, ResourceChanged, has_subscribers
from ossbss.usage import bulk, domain, frames, models
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


# Below this many records the per-record Python path is faster than Polars' fixed cost per
# call (~20 ms); RADIUS packets and API posts come one or a few at a time.
SMALL_BATCH = 64


def ingest(session: Session, *, records: Sequence[UsageInput], now: datetime) -> IngestReport:
    """Store what is sane and new; quarantine the rest with its reason. Never commits.
    Small batches go record by record, large ones column-wise (usage/frames.py); both apply
    the same rules and build the same documents (tests/test_usage_ingest.py compares them)."""
    if len(records) <= SMALL_BATCH:
        return _ingest_small(session, records, now)
    naive = [record for record in records if record.started_at.tzinfo is None]
    for record in naive:
        quarantine(
            session,
            source=record.source,
            source_ref=record.source_ref,
            raw=_raw(record),
            reason="start time without a time zone",
            now=now,
        )
    aware = [astuple(record) for record in records if record.started_at.tzinfo is not None]
    frame = pl.DataFrame(aware, schema=frames.INPUT_SCHEMA, orient="row")
    report = ingest_frame(session, frame=frame, now=now)
    return report + IngestReport(accepted=0, duplicates=0, suspended=0, rejected=len(naive))


def _ingest_small(session: Session, records: Sequence[UsageInput], now: datetime) -> IngestReport:
    good: list[UsageInput] = []
    for record in records:
        found = domain.problem_at(record, now)
        if found is None:
            good.append(record)
        else:
            quarantine(
                session,
                source=record.source,
                source_ref=record.source_ref,
                raw=_raw(record),
                reason=found[1],
                now=now,
            )
    identities = identities_of(session, {record.subscriber for record in good})
    ids = iter(time_ordered_ids(len(good)))
    rows: dict[str, list[dict[str, Any]]] = {domain.GUIDED: [], domain.RECEIVED: []}
    for record in good:
        subscriber = domain.resolve(identities.get(record.subscriber, ()), record.started_at)
        status = domain.GUIDED if subscriber else domain.RECEIVED
        customer_id = subscriber.customer_id if subscriber else None
        rows[status].append(
            {
                "id": next(ids),
                "record_key": record.record_key,
                "kind": record.kind,
                "subscriber": record.subscriber,
                "started_at": record.started_at,
                "duration_seconds": record.duration_seconds,
                "bytes_up": record.bytes_up,
                "bytes_down": record.bytes_down,
                "events": record.events,
                "destination": record.destination,
                "source": record.source,
                "source_ref": record.source_ref[:255] if record.source_ref else record.source_ref,
                "status": status,
                "reason": None if subscriber else domain.UNKNOWN_SUBSCRIBER,
                "product_id": subscriber.product_id if subscriber else None,
                "billing_account_id": subscriber.billing_account_id if subscriber else None,
                "offering_id": subscriber.offering_id if subscriber else None,
                "customer_id": customer_id,
                "body": domain.document(record, status, customer_id),
                "created_at": now,
                "updated_at": now,
            }
        )
    stored = {status: _insert_values(session, values) for status, values in rows.items()}
    report = IngestReport(
        accepted=stored[domain.GUIDED],
        duplicates=len(good) - stored[domain.GUIDED] - stored[domain.RECEIVED],
        suspended=stored[domain.RECEIVED],
        rejected=len(records) - len(good),
    )
    ids_written = [row["id"] for values in rows.values() for row in values]
    sources = {record.source for record in records}
    inserted = stored[domain.GUIDED] + stored[domain.RECEIVED]
    _after_ingest(session, report, ids_written, inserted, now, sources)
    return report


def _insert_values(session: Session, values: list[dict[str, Any]]) -> int:
    """One multi-row INSERT .. ON CONFLICT (record_key) DO NOTHING; how many went in."""
    if not values:
        return 0
    dialect_insert = sqlite_insert if bulk.is_sqlite(session) else postgresql_insert
    statement = dialect_insert(models.UsageRecord).values(values)
    # RETURNING counts what went in on both engines (rowcount is -1 here on psycopg).
    inserted = session.execute(
        statement.on_conflict_do_nothing(index_elements=["record_key"]).returning(
            models.UsageRecord.pk
        )
    )
    return len(inserted.all())


def _after_ingest(
    session: Session,
    report: IngestReport,
    ids: list[str],
    inserted: int,
    now: datetime,
    sources: set[str],
) -> None:
    if inserted:
        after_commit(session, lambda: PAGES.forget(USAGE.name))
        notify_hub(session, ids, "Create", now)
    if report.total:
        publish(
            session,
            UsageIngested(
                source=next(iter(sources)) if len(sources) == 1 else "mixed",
                accepted=report.accepted,
                duplicates=report.duplicates,
                suspended=report.suspended,
                rejected=report.rejected,
                occurred_at=now,
            ),
            now=now,
        )


def ingest_frame(session: Session, *, frame: pl.DataFrame, now: datetime) -> IngestReport:
    """The bulk path: ``frame`` has the UsageInput columns (frames.INPUT_SCHEMA), and may
    bring ``problem`` (a parse failure) and ``raw`` (the input line, for the quarantine)."""
    checked = frames.with_problems(frame, now)
    bad = checked.filter(pl.col("problem").is_not_null())
    if bad.height:
        _quarantine_frame(session, bad, now)
    good = checked.filter(pl.col("problem").is_null()).select(*frames.INPUT_SCHEMA)
    sqlite = bulk.is_sqlite(session)
    identities = identity_frame(session, good["subscriber"].unique().to_list())
    resolved = frames.resolve(good, identities).with_columns(
        id=pl.Series(time_ordered_ids(good.height), dtype=pl.String),
        status=pl.when(pl.col("product_id").is_null())
        .then(pl.lit(domain.RECEIVED))
        .otherwise(pl.lit(domain.GUIDED)),
    )
    resolved = resolved.with_columns(
        reason=pl.when(pl.col("product_id").is_null()).then(pl.lit(domain.UNKNOWN_SUBSCRIBER)),
        body=frames.documents(resolved),
        source_ref=pl.col("source_ref").str.head(255),
        created_at=pl.lit(now),
        updated_at=pl.lit(now),
    )
    if sqlite:
        stamp = "%Y-%m-%d %H:%M:%S%.6f"
        resolved = resolved.with_columns(
            pl.col("started_at").dt.strftime(stamp),
            pl.col("created_at", "updated_at").dt.strftime(stamp),
        )
    rows = resolved.select(COLUMNS)
    stored_guided = _insert(session, rows.filter(pl.col("status") == domain.GUIDED))
    stored_suspended = _insert(session, rows.filter(pl.col("status") == domain.RECEIVED))
    report = IngestReport(
        accepted=stored_guided,
        duplicates=good.height - stored_guided - stored_suspended,
        suspended=stored_suspended,
        rejected=bad.height,
    )
    _after_ingest(
        session,
        report,
        rows["id"].to_list(),
        stored_guided + stored_suspended,
        now,
        set(frame["source"].unique().to_list()) if frame.height else set(),
    )
    return report


def time_ordered_ids(count: int) -> list[str]:
    """``count`` new ids in the UUIDv7 layout (milliseconds first, then randomness), so a
    batch lands at the end of the id index instead of all over it (random UUIDv4 keys made
    the unique index the costliest part of a bulk insert). Random per batch, counted within."""
    millis = time.time_ns() // 1_000_000
    entropy = int.from_bytes(os.urandom(10), "big")
    rand_a = entropy >> 68  # 12 bits
    rand_b = (entropy >> 6) & ((1 << 61) - 1)  # headroom: the count never flips the variant
    head = f"{millis >> 16:08x}-{millis & 0xFFFF:04x}-7{rand_a:03x}-"
    variant = (0b10 << 62) | rand_b
    return [
        f"{head}{(variant + n) >> 48 & 0xFFFF:04x}-{(variant + n) & 0xFFFFFFFFFFFF:012x}"
        for n in range(count)
    ]


def _quarantine_frame(session: Session, bad: pl.DataFrame, now: datetime) -> None:
    if "raw" not in bad.columns:
        bad = bad.with_columns(
            raw=pl.struct(*frames.INPUT_SCHEMA).struct.json_encode(),
        )
    session.execute(
        insert(models.QuarantinedRecord),
        [
            {
                "source": (source or "api")[:16],
                "source_ref": ref[:255] if ref else None,
                "raw": raw or "",
                "reason": reason[:255],
                "at": now,
            }
            for source, ref, raw, reason in bad.select(
                "source", "source_ref", "raw", "problem"
            ).iter_rows()
        ],
    )


def identity_frame(session: Session, identifiers: Iterable[str]) -> pl.DataFrame:
    """The identities of ``identifiers`` as a frame (frames.IDENTITY_SCHEMA)."""
    rows = [
        (
            identity.subscriber.identifier,
            identity.subscriber.product_id,
            identity.subscriber.billing_account_id,
            identity.subscriber.offering_id,
            identity.subscriber.customer_id,
            identity.valid_from,
            identity.valid_to,
        )
        for found in identities_of(session, identifiers).values()
        for identity in found
    ]
    return pl.DataFrame(rows, schema=frames.IDENTITY_SCHEMA, orient="row")


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
            found[row.identifier].append(identity_of(row))
    return found


def identity_of(row: models.SubscriberIdentity) -> Identity:
    return Identity(
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


def _insert(session: Session, rows: pl.DataFrame) -> int:
    """Insert rows whose record key is new; how many went in."""
    if rows.is_empty():
        return 0
    columns = ", ".join(COLUMNS)
    if bulk.is_sqlite(session):
        marks = ", ".join("?" for _ in COLUMNS)
        return bulk.execute_many(
            session,
            f"INSERT INTO usage_record ({columns}) VALUES ({marks}) "
            "ON CONFLICT (record_key) DO NOTHING",
            rows.rows(),
        )
    staged = bulk.stage_frame(session, "usage_record", rows)
    return bulk.execute(
        session,
        f"INSERT INTO usage_record ({columns}) SELECT {columns} FROM {staged} "
        "ON CONFLICT (record_key) DO NOTHING",
    )


def notify_hub(session: Session, ids: Sequence[str], change: str, now: datetime) -> None:
    """usageCreateEvent / usageStateChangeEvent for each record, only when someone subscribed
    to TMF635 (the answer is cached per transaction: the bulk paths pay one query per batch
    and nothing per record when nobody listens)."""
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
                    change=change,
                    document={"id": resource_id, "href": f"{USAGE.path}/{resource_id}", **body},
                    occurred_at=now,
                ),
                now=now,
            )


def _raw(record: UsageInput) -> str:
    return orjson.dumps(asdict(record), default=str).decode()
