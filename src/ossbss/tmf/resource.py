"""What a TMF resource is to the machinery: its API, its table, its indexed attributes, its rules.

A room declares each of its resources once with ``Resource(...)``; listing, filtering, paging,
field selection, merge-patch, events and hub notifications then come for free.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from ossbss.kernel.db import JSONDocument, UTCDateTime
from ossbss.tmf.specs import Spec, load_spec

Document = dict[str, Any]


@dataclass(frozen=True)
class Api:
    """One TM Forum API as we serve it: ``/tmf-api/<name>/v4``."""

    name: str  # e.g. "party"
    spec_file: str
    title: str

    @property
    def base_path(self) -> str:
        return f"/tmf-api/{self.name}/v4"

    @property
    def spec(self) -> Spec:
        return load_spec(self.spec_file)


class DocumentTable:
    """Columns every TMF resource table has. The document holds the whole resource as sent
    (extensions and ``@type`` included) minus ``id`` and ``href``, which are derived."""

    # The separate index on pk lets SQLite walk keys in order without reading whole documents
    # (its rowid table holds them), which is what deep offsets need.
    pk: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
        index=True,
    )
    id: Mapped[str] = mapped_column(String(64), unique=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Rules(Protocol):
    """A resource's own rules, called by the generic service inside the request transaction.

    Create sees the body as posted (no ``id`` yet); update and delete see whole resources,
    with ``id`` and ``href``.
    Each returns the document to store (it may fill defaults or server-set attributes) or
    raises a kernel error (InvalidInput, Conflict, ...) which aborts the transaction.
    Rules may also define ``on_created(session, document, now)``, called once the new
    resource has its id (to publish a room's own event, say).
    """

    def on_create(self, session: Session, document: Document, now: datetime) -> Document: ...

    def on_update(
        self, session: Session, old: Document, new: Document, now: datetime
    ) -> Document: ...

    def on_delete(self, session: Session, document: Document, now: datetime) -> None: ...


class NoRules:
    def on_create(self, session: Session, document: Document, now: datetime) -> Document:
        return document

    def on_update(self, session: Session, old: Document, new: Document, now: datetime) -> Document:
        return new

    def on_delete(self, session: Session, document: Document, now: datetime) -> None:
        return None


@dataclass(frozen=True)
class Resource:
    api: Api
    name: str  # path segment and event prefix in lowerCamelCase, e.g. "productOffering"
    model: type[DocumentTable]
    # TMF attribute path -> model attribute, for the attributes people filter and sort on.
    columns: dict[str, str] = field(default_factory=dict)
    # Paths into arrays whose values are indexed in tmf_ref_index (e.g. "relatedParty.id").
    refs: tuple[str, ...] = ()
    state_field: str | None = None
    rules: Rules = field(default_factory=NoRules)
    # Attributes the server sets; a client may not send them in a PATCH.
    server_fields: frozenset[str] = frozenset({"id", "href"})
    # Roles allowed to change this resource (anyone authenticated may read).
    write_roles: frozenset[str] = frozenset({"admin"})
    # Tells apart operations of two APIs serving one resource (TMF638 and TMF640 ``service``).
    operation_suffix: str = ""

    @property
    def type_name(self) -> str:
        return self.name[0].upper() + self.name[1:]

    @property
    def create_definition(self) -> str:
        return f"{self.type_name}_Create"

    @property
    def update_definition(self) -> str:
        return f"{self.type_name}_Update"

    @property
    def path(self) -> str:
        return f"{self.api.base_path}/{self.name}"
