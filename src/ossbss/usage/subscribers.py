"""Subscriber identities: who a network identifier is, over time; recycling from suspense."""

from __future__ import annotations

from datetime import datetime

import orjson
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from ossbss.events.usage import SubscriberRecycled
from ossbss.kernel.db import after_commit
from ossbss.kernel.outbox import publish
from ossbss.tmf import PAGES, has_subscribers
from ossbss.usage import bulk, domain, models
from ossbss.usage.domain import Subscriber
from ossbss.usage.ingest import identities_of, notify_hub
from ossbss.usage.resources import USAGE, USAGE_API


def register_subscriber(
    session: Session,
    *,
    identifier: str,
    product_id: str,
    billing_account_id: str,
    offering_id: str,
    customer_id: str | None,
    valid_from: datetime,
    now: datetime,
) -> int:
    """Record who ``identifier`` is from ``valid_from`` on and guide its records waiting in
    suspense since then; returns how many were recycled. Registering the same identity
    twice changes nothing; an identifier that moves to another product leaves the old one
    at ``valid_from``."""
    table = models.SubscriberIdentity
    current = session.scalars(
        select(table).where(table.identifier == identifier, table.valid_to.is_(None))
    ).all()
    if any(row.product_id == product_id for row in current):
        return 0
    for row in current:
        row.valid_to = max(valid_from, row.valid_from)
    session.add(
        table(
            identifier=identifier,
            product_id=product_id,
            billing_account_id=billing_account_id,
            offering_id=offering_id,
            customer_id=customer_id,
            valid_from=valid_from,
            valid_to=None,
        )
    )
    session.flush()
    recycled = _recycle(
        session,
        Subscriber(identifier, product_id, billing_account_id, offering_id, customer_id),
        valid_from,
        now,
    )
    if recycled:
        publish(
            session,
            SubscriberRecycled(
                identifier=identifier, product_id=product_id, recycled=recycled, occurred_at=now
            ),
            now=now,
        )
    return recycled


def end_subscriber(session: Session, *, identifier: str, valid_to: datetime) -> None:
    """The identifier stops meaning its product at ``valid_to`` (later usage goes to suspense)."""
    table = models.SubscriberIdentity
    session.execute(
        update(table)
        .where(
            table.identifier == identifier,
            table.valid_from <= valid_to,
            (table.valid_to.is_(None)) | (table.valid_to > valid_to),
        )
        .values(valid_to=valid_to)
    )


def end_product(session: Session, *, product_id: str, valid_to: datetime) -> None:
    """Every identifier of a product stops at ``valid_to`` (the product was terminated)."""
    table = models.SubscriberIdentity
    for identifier in session.scalars(
        select(table.identifier).where(table.product_id == product_id, table.valid_to.is_(None))
    ).all():
        end_subscriber(session, identifier=identifier, valid_to=valid_to)


def find_subscriber(session: Session, *, identifier: str, at: datetime) -> Subscriber | None:
    return domain.resolve(identities_of(session, [identifier]).get(identifier, ()), at)


def _recycle(session: Session, subscriber: Subscriber, valid_from: datetime, now: datetime) -> int:
    """Guide the suspended records of the identifier that started within its validity; the
    body follows in the same statement (status, customer, a description saying so)."""
    sqlite = bulk.is_sqlite(session)
    parties = domain.related_party(subscriber.customer_id)
    described = "kind || ' usage of ' || subscriber || ', recycled from suspense'"
    if sqlite:
        body = (
            f"json_set(body, '$.status', 'guided', '$.description', {described}, "
            "'$.relatedParty', json(:parties))"
        )
    else:
        body = (
            "body || jsonb_build_object('status', 'guided', 'description', "
            f"{described}, 'relatedParty', CAST(:parties AS jsonb))"
        )
    result = session.execute(
        text(
            f"UPDATE usage_record SET status = 'guided', reason = NULL, recycled_at = :now, "
            "product_id = :product_id, billing_account_id = :account_id, "
            "offering_id = :offering_id, customer_id = :customer_id, updated_at = :now, "
            f"body = {body} "
            "WHERE subscriber = :identifier AND status = 'received' AND reason = :suspense "
            "AND started_at >= :valid_from"
        ),
        {
            "now": bulk.timestamp(sqlite, now),
            "product_id": subscriber.product_id,
            "account_id": subscriber.billing_account_id,
            "offering_id": subscriber.offering_id,
            "customer_id": subscriber.customer_id,
            "parties": _json(parties),
            "identifier": subscriber.identifier,
            "suspense": domain.UNKNOWN_SUBSCRIBER,
            "valid_from": bulk.timestamp(sqlite, valid_from),
        },
    )
    count = int(result.rowcount)  # type: ignore[attr-defined]
    if count:
        after_commit(session, lambda: PAGES.forget(USAGE.name))
        if has_subscribers(session, api=USAGE_API.name):
            table = models.UsageRecord
            ids = session.scalars(
                select(table.id).where(
                    table.subscriber == subscriber.identifier, table.recycled_at == now
                )
            ).all()
            notify_hub(session, ids, "StateChange", now)
    return count


def _json(value: object) -> str:
    return orjson.dumps(value).decode()
