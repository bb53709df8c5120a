"""All SQL for TMF documents: page, get, insert, update, delete, and the reference index."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Table, Text, cast, delete, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert

from ossbss.kernel.db import after_commit
from ossbss.kernel.errors import InvalidInput, NotFound
from ossbss.kernel.time import parse_datetime
from ossbss.tmf.filters import column_python_type, compile_filter, compile_sort
from ossbss.tmf.models import RefIndex
from ossbss.tmf.pagecache import PAGES
from ossbss.tmf.query import ListQuery
from ossbss.tmf.resource import Document, Resource


@dataclass(frozen=True)
class Page:
    total: int
    # (id, the stored body as JSON text): served without parsing and re-serialising.
    items: list[tuple[str, str]]


def _table(resource: Resource) -> Table:
    return resource.model.__table__  # type: ignore[attr-defined, no-any-return]


def list_page(session: Session, resource: Resource, query: ListQuery) -> Page:
    table = _table(resource)
    dialect = session.get_bind().dialect.name
    conditions = [compile_filter(resource, table, flt, dialect) for flt in query.filters]
    order = [compile_sort(resource, table, key, dialect) for key in query.sort]
    cache_key = (query.filters, query.sort)
    entry = PAGES.get(resource.name, cache_key)
    if entry is None:
        count = select(func.count()).select_from(table).where(*conditions)
        entry = PAGES.put(resource.name, cache_key, session.execute(count).scalar_one())
    if query.limit == 0 or query.offset >= entry.total:
        return Page(total=entry.total, items=[])
    skip, lower = query.offset, None
    anchor = None if order else entry.nearest_anchor(query.offset)
    if anchor is not None:
        skip, lower = query.offset - anchor[0], anchor[1]
    # Pick the page's keys on the narrow indexes first, then read only those documents.
    page_pks = (
        select(table.c.pk)
        .where(*conditions, *([table.c.pk >= lower] if lower is not None else []))
        .order_by(*order, table.c.pk)
        .offset(skip)
        .limit(query.limit)
    )
    rows = session.execute(
        select(table.c.pk, table.c.id, cast(table.c.body, Text))
        .where(table.c.pk.in_(page_pks.scalar_subquery()))
        .order_by(*order, table.c.pk)
    ).all()
    if rows and not order:
        entry.remember(query.offset, rows[0][0])
        entry.remember(query.offset + len(rows) - 1, rows[-1][0])
    return Page(total=entry.total, items=[(resource_id, body) for _, resource_id, body in rows])


def forget_pages_after_commit(session: Session, resource: Resource) -> None:
    after_commit(session, lambda: PAGES.forget(resource.name))


def get(
    session: Session, resource: Resource, resource_id: str, *, for_update: bool = False
) -> Document:
    table = _table(resource)
    if "\x00" in resource_id:  # PostgreSQL text cannot hold it: no such resource
        raise NotFound(f"No {resource.name} with id {resource_id!r}", field="id")
    query = select(table.c.body).where(table.c.id == resource_id)
    if for_update and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    body = session.execute(query).scalar_one_or_none()
    if body is None:
        raise NotFound(f"No {resource.name} with id {resource_id}", field="id")
    return dict(body)


def exists(session: Session, resource: Resource, resource_id: str) -> bool:
    table = _table(resource)
    return session.execute(select(table.c.pk).where(table.c.id == resource_id)).first() is not None


def insert_document(
    session: Session, resource: Resource, resource_id: str, document: Document, now: datetime
) -> None:
    table = _table(resource)
    values = {"id": resource_id, "body": document, "created_at": now, "updated_at": now}
    values.update(indexed_values(resource, document))
    pk = session.execute(_insert_returning_pk(table), values).scalar_one()
    _write_refs(session, resource, pk, document)
    forget_pages_after_commit(session, resource)


@cache
def _insert_returning_pk(table: Table) -> ReturningInsert[Any]:
    return insert(table).returning(table.c.pk)


def insert_many(
    session: Session, resource: Resource, documents: list[tuple[str, Document]], now: datetime
) -> None:
    """Bulk insert (id, body) pairs in one statement per batch: imports, demo data, benchmarks."""
    table = _table(resource)
    rows = [
        {"id": resource_id, "body": body, "created_at": now, "updated_at": now}
        | indexed_values(resource, body)
        for resource_id, body in documents
    ]
    if not rows:
        return
    session.execute(insert(table), rows)
    forget_pages_after_commit(session, resource)
    if resource.refs:
        ids = [resource_id for resource_id, _ in documents]
        pks = {
            row.id: row.pk
            for row in session.execute(select(table.c.id, table.c.pk).where(table.c.id.in_(ids)))
        }
        for resource_id, body in documents:
            _write_refs(session, resource, pks[resource_id], body)


def update_document(
    session: Session,
    resource: Resource,
    resource_id: str,
    document: Document,
    now: datetime,
    *,
    old: Document | None = None,
) -> None:
    """Store the new document; its reference-index rows are rewritten only when the values
    under the indexed paths changed (``old`` given), which most state changes leave alone."""
    table = _table(resource)
    values = {"body": document, "updated_at": now, **indexed_values(resource, document)}
    pk = session.execute(
        update(table).where(table.c.id == resource_id).values(**values).returning(table.c.pk)
    ).scalar_one()
    forget_pages_after_commit(session, resource)
    if resource.refs and (
        old is None or _ref_rows(resource, 0, old) != _ref_rows(resource, 0, document)
    ):
        session.execute(
            delete(RefIndex).where(RefIndex.resource == resource.name, RefIndex.resource_pk == pk)
        )
        _write_refs(session, resource, pk, document)


def delete_document(session: Session, resource: Resource, resource_id: str) -> None:
    table = _table(resource)
    if "\x00" in resource_id:
        raise NotFound(f"No {resource.name} with id {resource_id!r}", field="id")
    pk = session.execute(
        delete(table).where(table.c.id == resource_id).returning(table.c.pk)
    ).scalar_one_or_none()
    if pk is None:
        raise NotFound(f"No {resource.name} with id {resource_id}", field="id")
    forget_pages_after_commit(session, resource)
    if resource.refs:
        session.execute(
            delete(RefIndex).where(RefIndex.resource == resource.name, RefIndex.resource_pk == pk)
        )


def reindex(session: Session, resource: Resource, *, batch_size: int = 2000) -> int:
    """Rewrite every stored document's derived columns and reference-index rows from its
    body, in batches; returns how many documents. A migration that adds an indexed path or a
    derived column runs this for the rows written before it."""
    table = _table(resource)
    last, count = 0, 0
    while True:
        rows = session.execute(
            select(table.c.pk, table.c.body)
            .where(table.c.pk > last)
            .order_by(table.c.pk)
            .limit(batch_size)
        ).all()
        if not rows:
            return count
        pks = [pk for pk, _ in rows]
        session.execute(
            delete(RefIndex).where(
                RefIndex.resource == resource.name, RefIndex.resource_pk.in_(pks)
            )
        )
        refs = [ref for pk, body in rows for ref in _ref_rows(resource, pk, body)]
        if refs:
            session.execute(insert(RefIndex), refs)
        for pk, body in rows:
            # ``body`` in the SET list lets column defaults computed from it run again.
            session.execute(
                update(table)
                .where(table.c.pk == pk)
                .values(body=body, **indexed_values(resource, body))
            )
        last, count = pks[-1], count + len(rows)


def indexed_values(resource: Resource, document: Document) -> dict[str, Any]:
    """The column values a document implies, typed as the columns expect."""
    table = _table(resource)
    values: dict[str, Any] = {}
    for path, column_name in resource.columns.items():
        if column_name in ("id",):
            continue
        raw = value_at(document, path)
        column = table.c[column_name]
        values[column_name] = _to_column(path, raw, column)
    return values


def _to_column(path: str, raw: Any, column: Any) -> Any:
    if raw is None or isinstance(raw, (dict, list)):
        return None
    python_type = column_python_type(column)
    if python_type is datetime:
        try:
            return parse_datetime(str(raw))
        except ValueError:
            raise InvalidInput("Invalid date-time", field=path, detail="must be ISO 8601") from None
    if python_type is str:
        return str(raw)[: getattr(column.type, "length", None) or None]
    return raw


def value_at(document: Any, path: str) -> Any:
    """Follow a dotted path through objects (not arrays); None where it does not lead."""
    current = document
    for segment in path.split("."):
        if not isinstance(current, dict):
            return None
        current = current.get(segment)
    return current


def values_at(document: Any, segments: list[str]) -> list[Any]:
    """Every value a dotted path reaches, stepping into arrays at any depth."""
    if isinstance(document, list):
        return [value for item in document for value in values_at(item, segments)]
    if not segments:
        return [document]
    if not isinstance(document, dict) or segments[0] not in document:
        return []
    return values_at(document[segments[0]], segments[1:])


def _ref_rows(resource: Resource, pk: int, document: Document) -> list[dict[str, Any]]:
    return [
        {"resource": resource.name, "resource_pk": pk, "path": path, "value": str(value)[:255]}
        for path in resource.refs
        for value in dict.fromkeys(values_at(document, path.split(".")))
        if value is not None and not isinstance(value, (dict, list))
    ]


def _write_refs(session: Session, resource: Resource, pk: int, document: Document) -> None:
    rows = _ref_rows(resource, pk, document)
    if rows:
        session.execute(insert(RefIndex), rows)
