"""billing_bill_document: the rendered PDF of an issued bill, kept once (an issued bill never
changes, so neither does its document)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session

from ossbss.billing.documents.view import ISSUED_STATES
from ossbss.billing.models import Bill, BillDocument, BillRun

PDF = "application/pdf"


@dataclass(frozen=True, slots=True)
class StoredDocument:
    bill_id: str
    content: bytes
    media_type: str
    size: int
    rendered_at: datetime


def get_document(session: Session, *, bill_id: str) -> StoredDocument | None:
    row = session.get(BillDocument, bill_id)
    if row is None:
        return None
    return StoredDocument(row.bill_id, row.content, row.media_type, row.size, row.rendered_at)


def store_document(
    session: Session, *, bill_id: str, content: bytes, now: datetime, media_type: str = PDF
) -> None:
    """Keep the document of a bill; a document already there is replaced (an explicit
    re-render)."""
    row = session.get(BillDocument, bill_id)
    if row is None:
        session.add(
            BillDocument(
                bill_id=bill_id,
                content=content,
                media_type=media_type,
                size=len(content),
                rendered_at=now,
            )
        )
        return
    row.content, row.media_type, row.size, row.rendered_at = content, media_type, len(content), now


def documents_present(session: Session, *, bill_ids: Sequence[str]) -> set[str]:
    if not bill_ids:
        return set()
    query = select(BillDocument.bill_id).where(BillDocument.bill_id.in_(list(bill_ids)))
    return set(session.scalars(query))


def _pending(run_id: str | None, cycle_id: str | None) -> Select[Any]:
    query = (
        select(Bill.id)
        .where(Bill.state.in_(ISSUED_STATES), Bill.bill_no.is_not(None))
        .where(~exists().where(BillDocument.bill_id == Bill.id))
    )
    if run_id is not None:
        query = query.where(Bill.bill_run_id == run_id)
    if cycle_id is not None:
        query = query.where(
            Bill.bill_run_id.in_(select(BillRun.id).where(BillRun.cycle_id == cycle_id))
        )
    return query


def bills_without_document(
    session: Session,
    *,
    limit: int,
    run_id: str | None = None,
    cycle_id: str | None = None,
    skip: Sequence[str] = (),
) -> list[str]:
    """Issued bills that have no document yet, oldest first (optionally of one run or cycle);
    ``skip``: bills that failed to render in this pass."""
    query = _pending(run_id, cycle_id)
    if skip:
        query = query.where(Bill.id.not_in(list(skip)))
    return list(session.scalars(query.order_by(Bill.pk).limit(limit)))


def count_without_document(
    session: Session, *, run_id: str | None = None, cycle_id: str | None = None
) -> int:
    subquery = _pending(run_id, cycle_id).subquery()
    return int(session.scalar(select(func.count()).select_from(subquery)) or 0)
