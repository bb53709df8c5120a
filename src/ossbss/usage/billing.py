"""What billing reads and marks: rated, unbilled usage summed per account, product and kind
(one GROUP BY per chunk of accounts), then marked billed by the same selection (one UPDATE
per chunk, never a list of record ids)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.orm import Session

from ossbss.kernel.db import after_commit
from ossbss.tmf import PAGES, has_subscribers
from ossbss.usage import bulk, domain
from ossbss.usage.ingest import notify_hub
from ossbss.usage.models import UsageRecord as R
from ossbss.usage.resources import USAGE, USAGE_API

_IN_CHUNK = 900  # below SQLite's bound-parameter limit
BILLABLE = (domain.RATED, domain.RERATED)


@dataclass(frozen=True, slots=True)
class BillableUsage:
    """The rated, unbilled records of one account, product and kind, summed. ``amount`` is
    at ``scale`` digits (the currency's minor digits + catalog RATE_DIGITS): round it once."""

    billing_account_id: str
    product_id: str | None
    offering_id: str | None
    kind: str
    currency: str | None
    scale: int
    records: int
    duration_seconds: int
    bytes_total: int
    events: int
    amount: int


def billable_usage(
    session: Session, *, account_ids: Sequence[str], before: datetime, rated_by: datetime
) -> list[BillableUsage]:
    """Rated or re-rated records of the accounts that started before ``before`` and were
    rated at or before ``rated_by`` (a record rated later waits for the next bill)."""
    found: list[BillableUsage] = []
    for start in range(0, len(account_ids), _IN_CHUNK):
        chunk = list(account_ids[start : start + _IN_CHUNK])
        query = (
            select(
                R.billing_account_id,
                R.product_id,
                func.max(R.offering_id),
                R.kind,
                R.currency,
                R.scale,
                func.count(),
                func.coalesce(func.sum(R.duration_seconds), 0),
                func.coalesce(func.sum(R.bytes_up + R.bytes_down), 0),
                func.coalesce(func.sum(R.events), 0),
                func.coalesce(func.sum(R.amount), 0),
            )
            .where(
                R.billing_account_id.in_(chunk),
                # ``status || ''``: no index on status for this one, so the planner reads the
                # chunk's accounts by their index instead of every rated record of the period.
                (R.status + "").in_(BILLABLE),
                R.started_at < before,
                R.rated_at <= rated_by,
            )
            .group_by(R.billing_account_id, R.product_id, R.kind, R.currency, R.scale)
        )
        for row in session.connection().execute(query).all():
            found.append(
                BillableUsage(
                    billing_account_id=str(row[0]),
                    product_id=row[1],
                    offering_id=row[2],
                    kind=row[3],
                    currency=row[4],
                    scale=int(row[5] or 0),
                    records=int(row[6]),
                    duration_seconds=int(row[7]),
                    bytes_total=int(row[8]),
                    events=int(row[9]),
                    amount=int(row[10]),
                )
            )
    return found


def mark_billed_through(
    session: Session,
    *,
    account_ids: Sequence[str],
    before: datetime,
    rated_by: datetime,
    now: datetime,
) -> int:
    """Mark billed exactly what ``billable_usage`` summed for the same arguments; the TMF635
    body follows (status billed, ``isBilled`` true). Returns the number of records."""
    sqlite = bulk.is_sqlite(session)
    if sqlite:
        body = (
            "json_set(body, '$.status', 'billed', '$.ratedProductUsage[0].isBilled', json('true'))"
        )
    else:
        body = (
            "jsonb_set(body || jsonb_build_object('status', 'billed'), "
            "'{ratedProductUsage,0,isBilled}', 'true'::jsonb, false)"
        )
    statement = text(
        f"UPDATE usage_record SET status = 'billed', billed_at = :now, updated_at = :now, "
        f"body = {body} WHERE billing_account_id IN :ids AND status || '' IN ('rated', 'rerated') "
        "AND started_at < :before AND rated_at <= :rated_by"
    ).bindparams(bindparam("ids", expanding=True))
    marked = 0
    listening = has_subscribers(session, api=USAGE_API.name)
    for start in range(0, len(account_ids), _IN_CHUNK):
        chunk = list(account_ids[start : start + _IN_CHUNK])
        # Hub listeners get a StateChange per record, as with mark_billed (ids read only then).
        ids = _billable_ids(session, chunk, before, rated_by) if listening else []
        result = session.execute(
            statement,
            {
                "now": bulk.timestamp(sqlite, now),
                "before": bulk.timestamp(sqlite, before),
                "rated_by": bulk.timestamp(sqlite, rated_by),
                "ids": chunk,
            },
        )
        marked += int(getattr(result, "rowcount", 0) or 0)
        if ids:
            notify_hub(session, ids, "StateChange", now)
    after_commit(session, lambda: PAGES.forget(USAGE.name))
    return marked


def _billable_ids(
    session: Session, account_ids: list[str], before: datetime, rated_by: datetime
) -> list[str]:
    query = select(R.id).where(
        R.billing_account_id.in_(account_ids),
        (R.status + "").in_(BILLABLE),
        R.started_at < before,
        R.rated_at <= rated_by,
    )
    return list(session.scalars(query))
