"""TMF635 as resources of the generic machinery: usage (written by ingestion, read and lightly
patched by clients) and usageSpecification (plain CRUD)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ossbss.kernel.errors import Conflict, InvalidInput
from ossbss.tmf import Api, Document, Resource, create_resource, exists, is_trusted
from ossbss.usage import domain, models

USAGE_API = Api(
    name="usageManagement",
    spec_file="TMF635-Usage-v4.0.0.swagger.json",
    title="TMF635 Usage Management",
)
# A client may move a record out of suspense by writing it off, and edit its description;
# everything else is the collectors' and the rating's.
CLIENT_TRANSITIONS = {domain.RECEIVED: frozenset({domain.REJECTED})}
FROZEN = frozenset({domain.RATED, domain.RERATED, domain.BILLED})


class _UsageRules:
    def on_create(self, session: Session, document: Document, now: datetime) -> Document:
        # POST goes through ingestion (usage/api.py), never through the generic create.
        raise InvalidInput("Use the usage POST", detail="usage is created by ingestion")

    def on_update(self, session: Session, old: Document, new: Document, now: datetime) -> Document:
        if is_trusted() or old.get("status") == new.get("status"):
            return new
        allowed = CLIENT_TRANSITIONS.get(str(old.get("status")), frozenset())
        if new.get("status") not in allowed:
            raise Conflict(
                "Status not changeable",
                field="status",
                detail=f"a client may not move usage from {old.get('status')} "
                f"to {new.get('status')}",
            )
        return new

    def on_delete(self, session: Session, document: Document, now: datetime) -> None:
        if document.get("status") in FROZEN:
            raise Conflict(
                "Usage is rated",
                field="status",
                detail=f"{document.get('status')} usage is kept for billing and audit",
            )


USAGE = Resource(
    api=USAGE_API,
    name="usage",
    model=models.UsageRecord,
    columns={
        "id": "id",
        "status": "status",
        "usageType": "kind",
        "usageDate": "started_at",
    },
    state_field="status",
    rules=_UsageRules(),
    server_fields=frozenset(
        {
            "id",
            "href",
            "usageDate",
            "usageType",
            "usageCharacteristic",
            "usageSpecification",
            "ratedProductUsage",
            "relatedParty",
        }
    ),
    write_roles=frozenset({"admin", "billing"}),
)
USAGE_SPECIFICATION = Resource(
    api=USAGE_API,
    name="usageSpecification",
    model=models.UsageSpecification,
    columns={"id": "id", "name": "name"},
    write_roles=frozenset({"admin", "billing"}),
)
RESOURCES = (USAGE, USAGE_SPECIFICATION)

SEEDED_SPECIFICATIONS = {
    "data": "Data session: bytes up and down, duration",
    "voice": "Voice call: A-number, B-number (destination), duration in seconds",
    "sms": "Short message: one event to a destination",
}


def ensure_specifications(session: Session, *, now: datetime) -> None:
    """The data, voice and sms specifications records refer to (id = kind), created once."""
    for kind, description in SEEDED_SPECIFICATIONS.items():
        if not exists(session, USAGE_SPECIFICATION, kind):
            create_resource(
                session,
                resource=USAGE_SPECIFICATION,
                payload={
                    "name": kind,
                    "description": description,
                    "lifecycleStatus": "Active",
                    "version": "1.0",
                    "@type": "UsageSpecification",
                },
                now=now,
                resource_id=kind,
            )
