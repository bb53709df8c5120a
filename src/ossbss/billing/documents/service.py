"""Invoice documents of bills: the view read from the database, the PDF rendered from it and
kept for issued bills (keyword-only; the caller owns the transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ossbss.billing.documents import source
from ossbss.billing.documents.render import render_pdf
from ossbss.billing.documents.store import get_document, store_document
from ossbss.billing.documents.view import ISSUED_STATES, InvoiceView, Operator, build_invoice_view
from ossbss.billing.models import Bill


class _Configuration:
    operator = Operator()


def configure(*, operator: Operator) -> None:
    """The operator printed on every invoice (the composition root sets it from settings)."""
    _Configuration.operator = operator


def operator() -> Operator:
    return _Configuration.operator


def invoice_view(session: Session, *, bill_id: str) -> InvoiceView:
    """Everything the document of a bill shows (``bill_id``: its id or its number)."""
    bill = source.find_bill_row(session, bill_id_or_no=bill_id)
    return _view(session, bill, source.lines_of(session, [bill.id])[bill.id])


def invoice_views(session: Session, *, bill_ids: Sequence[str]) -> list[InvoiceView]:
    """The views of many bills, their lines read in one query (background rendering)."""
    bills = list(session.scalars(select(Bill).where(Bill.id.in_(list(bill_ids)))))
    lines = source.lines_of(session, [bill.id for bill in bills])
    return [_view(session, bill, lines[bill.id]) for bill in bills]


def _view(session: Session, bill: Bill, lines: Sequence[source.LineFacts]) -> InvoiceView:
    return build_invoice_view(
        operator=operator(),
        recipient=source.recipient(session, billing_account_id=bill.billing_account_id),
        bill=source.bill_facts(session, bill),
        lines=lines,
    )


def is_final(state: str) -> bool:
    """An issued bill's document never changes: it is rendered once and kept."""
    return state in ISSUED_STATES


def render_bill_pdf(
    session: Session, *, bill_id: str, now: datetime, rerender: bool = False
) -> bytes:
    """The PDF of a bill. An issued bill's document is rendered once and kept (``rerender``
    replaces it, e.g. after a template change); a draft is rendered each time with a DRAFT
    watermark and never kept."""
    bill = source.find_bill_row(session, bill_id_or_no=bill_id)
    final = is_final(bill.state)
    if final and not rerender:
        stored = get_document(session, bill_id=bill.id)
        if stored is not None:
            return stored.content
    pdf = render_pdf(_view(session, bill, source.lines_of(session, [bill.id])[bill.id]))
    if final:
        store_document(session, bill_id=bill.id, content=pdf, now=now)
    return pdf


def stored_pdf(session: Session, *, bill_id: str) -> bytes | None:
    """The kept document of an issued bill, or None (unknown bill: NotFound)."""
    bill = source.find_bill_row(session, bill_id_or_no=bill_id)
    stored = get_document(session, bill_id=bill.id) if is_final(bill.state) else None
    return stored.content if stored else None
