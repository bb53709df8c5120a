"""The generic use cases on a TMF resource. Rooms add their rules through ``Resource.rules``.

Every function takes the caller's session and ``now`` and never commits: the edge does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ossbss.kernel.errors import InvalidInput
from ossbss.kernel.ids import new_id
from ossbss.kernel.outbox import publish
from ossbss.tmf import hub, idempotency, store
from ossbss.tmf.events import Change, ResourceChanged, change_kinds
from ossbss.tmf.patch import merge_patch
from ossbss.tmf.query import ListQuery
from ossbss.tmf.resource import Document, Resource

# True while a trusted (server-side) patch runs the resource's rules: rules that guard what
# clients may change read it through ``is_trusted``.
TRUSTED: ContextVar[bool] = ContextVar("tmf_trusted_update", default=False)


def is_trusted() -> bool:
    return TRUSTED.get()


@contextmanager
def trusted() -> Iterator[None]:
    """Run the server's own workflow: patches may set server fields, rules that guard what
    clients may change step aside, and (unless ``check_trusted_writes``) the documents the
    server builds are not re-validated against the spec on every write."""
    token = TRUSTED.set(True)
    try:
        yield
    finally:
        TRUSTED.reset(token)


@dataclass
class _Checks:
    trusted_writes: bool = False


CHECKS = _Checks()


def check_trusted_writes(enabled: bool) -> None:
    """Validate server-built documents too (the test suite turns this on)."""
    CHECKS.trusted_writes = enabled


def _validating(trusted: bool) -> bool:
    return CHECKS.trusted_writes or not trusted


def full_document(resource: Resource, resource_id: str, body: Document) -> Document:
    """The resource as clients see it: id and (relative) href first, then the stored body."""
    return {"id": resource_id, "href": f"{resource.path}/{resource_id}", **body}


def list_resources(session: Session, *, resource: Resource, query: ListQuery) -> store.Page:
    return store.list_page(session, resource, query)


def get_resource(session: Session, *, resource: Resource, resource_id: str) -> Document:
    return full_document(resource, resource_id, store.get(session, resource, resource_id))


def create_resource(
    session: Session,
    *,
    resource: Resource,
    payload: Any,
    now: datetime,
    idempotency_key: str | None = None,
    resource_id: str | None = None,
) -> Document:
    """Create a resource. With an ``idempotency_key`` seen before, return the resource that
    request created (as it is now) instead of creating another. ``resource_id`` lets a
    trusted caller choose the id (to refer to the resource before it exists)."""
    if idempotency_key is not None:
        key = idempotency.check_key(idempotency_key)
        payload_hash = idempotency.request_hash(payload)
        earlier = idempotency.seen(
            session, resource=resource.name, key=key, payload_hash=payload_hash
        )
        if earlier is not None:
            return get_resource(session, resource=resource, resource_id=earlier)
        document = create_resource(session, resource=resource, payload=payload, now=now)
        idempotency.remember(
            session,
            resource=resource.name,
            key=key,
            payload_hash=payload_hash,
            resource_id=document["id"],
            now=now,
        )
        return document
    body = _body(_require_object(payload))
    if _validating(TRUSTED.get()):
        resource.api.spec.validate(resource.create_definition, body)
    body = resource.rules.on_create(session, body, now)
    resource_id = resource_id or new_id()
    store.insert_document(session, resource, resource_id, body, now)
    document = full_document(resource, resource_id, body)
    _publish(session, resource, "Create", document, now)
    on_created = getattr(resource.rules, "on_created", None)
    if on_created is not None:
        on_created(session, document, now)
    return document


def import_resources(
    session: Session, *, resource: Resource, payloads: list[Any], now: datetime
) -> list[str]:
    """Create many resources with the same validation and rules as POST, in one transaction,
    but without a notification per row (bulk loads: demo data, imports)."""
    documents = []
    for payload in payloads:
        body = _body(_require_object(payload))
        resource.api.spec.validate(resource.create_definition, body)
        documents.append((new_id(), resource.rules.on_create(session, body, now)))
    store.insert_many(session, resource, documents, now)
    return [resource_id for resource_id, _ in documents]


def patch_resource(
    session: Session,
    *,
    resource: Resource,
    resource_id: str,
    patch: Any,
    now: datetime,
    trusted: bool = False,
) -> Document:
    """Apply a merge patch. ``trusted`` is the server itself (a room's own workflow), which
    may set the attributes clients may not."""
    changes = _require_object(patch)
    trusted = trusted or TRUSTED.get()
    for name in changes:
        if name in resource.server_fields and not trusted:
            raise InvalidInput("Attribute not patchable", field=name, detail="is set by the server")
    validating = _validating(trusted)
    if validating and resource.update_definition in resource.api.spec.definitions:
        resource.api.spec.validate(
            resource.update_definition,
            {k: v for k, v in changes.items() if v is not None},
            partial=True,
        )
    old = full_document(
        resource, resource_id, store.get(session, resource, resource_id, for_update=True)
    )
    merged = merge_patch(old, changes)
    if validating:
        resource.api.spec.validate(resource.create_definition, _body(merged))
    token = TRUSTED.set(trusted)
    try:
        updated = resource.rules.on_update(session, old, merged, now)
    finally:
        TRUSTED.reset(token)
    document = full_document(resource, resource_id, _body(updated))
    kinds = change_kinds(old, document, resource.state_field)
    if not kinds:
        return old
    store.update_document(session, resource, resource_id, _body(document), now, old=_body(old))
    for kind in kinds:
        _publish(session, resource, kind, document, now)
    return document


def delete_resource(
    session: Session, *, resource: Resource, resource_id: str, now: datetime
) -> None:
    old = full_document(
        resource, resource_id, store.get(session, resource, resource_id, for_update=True)
    )
    resource.rules.on_delete(session, old, now)
    store.delete_document(session, resource, resource_id)
    _publish(session, resource, "Delete", old, now)


def _publish(
    session: Session, resource: Resource, change: Change, document: Document, now: datetime
) -> None:
    # ResourceChanged exists to feed hub notifications: without a subscriber to the API there
    # is nobody to tell, and skipping it keeps the outbox off every write's path.
    if not hub.has_subscribers(session, api=resource.api.name):
        return
    publish(
        session,
        ResourceChanged(
            api=resource.api.name,
            resource=resource.name,
            resource_id=document["id"],
            change=change,
            document=document,
            occurred_at=now,
        ),
        now=now,
    )


def _body(document: Document) -> Document:
    """What is stored: the resource without its derived ``id`` and ``href``."""
    return {key: value for key, value in document.items() if key not in ("id", "href")}


def _require_object(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise InvalidInput("Invalid body", detail="the request body must be a JSON object")
    return dict(payload)
