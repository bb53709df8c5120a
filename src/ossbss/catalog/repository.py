"""catalog queries that the generic TMF store does not cover: who refers to whom."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ossbss.catalog import models
from ossbss.tmf import RefIndex


def status_of(session: Session, model: Any, resource_id: str) -> str | None:
    status: str | None = session.scalar(
        select(model.lifecycle_status).where(model.id == resource_id)
    )
    return status


def body_of(session: Session, model: Any, resource_id: str) -> dict[str, Any] | None:
    body: dict[str, Any] | None = session.scalar(select(model.body).where(model.id == resource_id))
    return body


def missing_ids(session: Session, model: Any, ids: list[str]) -> set[str]:
    """Which of ``ids`` name no row of ``model`` (one query for the whole list)."""
    if not ids:
        return set()
    found = set(session.scalars(select(model.id).where(model.id.in_(sorted(set(ids))))))
    return set(ids) - found


def referrer_count(session: Session, resource: str, path: str, value: str) -> int:
    """How many ``resource`` documents hold ``value`` under the indexed array path ``path``."""
    query = select(func.count()).where(
        RefIndex.resource == resource, RefIndex.path == path, RefIndex.value == value
    )
    return session.scalar(query) or 0


def column_count(session: Session, column: Any, value: str) -> int:
    return session.scalar(select(func.count()).where(column == value)) or 0


def launched_offerings_with_price(session: Session, price_id: str) -> list[str]:
    offering = models.ProductOffering
    query = (
        select(offering.id)
        .join(RefIndex, RefIndex.resource_pk == offering.pk)
        .where(
            RefIndex.resource == "productOffering",
            RefIndex.path == "productOfferingPrice.id",
            RefIndex.value == price_id,
            offering.lifecycle_status == "Launched",
        )
    )
    return list(session.scalars(query))


def bundled_offering_ids(session: Session, offering_id: str) -> list[str]:
    body = body_of(session, models.ProductOffering, offering_id) or {}
    return [str(item.get("id")) for item in body.get("bundledProductOffering") or []]


def parent_of(session: Session, category_id: str) -> list[str]:
    parent = session.scalar(
        select(models.Category.parent_id).where(models.Category.id == category_id)
    )
    return [parent] if parent else []


def prices(session: Session, ids: list[str]) -> dict[str, dict[str, Any]]:
    model = models.ProductOfferingPrice
    rows = session.execute(select(model.id, model.body).where(model.id.in_(sorted(set(ids))))).all()
    return {row.id: row.body for row in rows}
