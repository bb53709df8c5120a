"""Bulk import of devices, ports and links from CSV: all rows or none.

Columns (header row required, names as below; extra columns are refused):

- devices: ``name``, ``vendor``, ``model``, ``managementAddress``, optional ``netconfPort``,
  ``site`` (a Site's id or name), ``description``
- ports: ``device`` (a Device's id or name), ``name``, optional ``role`` (access, uplink)
- links: ``aDevice``, ``aPort``, ``bDevice``, ``bPort`` (devices by id or name, ports by
  name on that device), optional ``name``

Each row goes through the same validation and rules as ``POST /resource``, in a savepoint,
so every bad row is reported (row number = line in the file, the header is line 1) and a
single bad row leaves the transaction to be rolled back by the caller.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.orm import Session

from ossbss.inventory import domain, repository
from ossbss.inventory.resources import RESOURCE
from ossbss.kernel.errors import DomainError, InvalidInput
from ossbss.tmf import create_resource

ImportKind = Literal["devices", "ports", "links"]
COLUMNS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # kind: (required, optional)
    "devices": (
        frozenset({"name", "vendor", "model", "managementAddress"}),
        frozenset({"netconfPort", "site", "description"}),
    ),
    "ports": (frozenset({"device", "name"}), frozenset({"role"})),
    "links": (frozenset({"aDevice", "aPort", "bDevice", "bPort"}), frozenset({"name"})),
}


@dataclass(frozen=True, slots=True)
class RowProblem:
    row: int  # line in the file; the header is line 1
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f" {self.field}" if self.field else "")
        return f"{where}: {self.message}"


class ImportFailed(InvalidInput):
    """One or more rows are bad: nothing may be written. ``problems`` lists them all."""

    def __init__(self, problems: list[RowProblem]) -> None:
        shown = "; ".join(str(problem) for problem in problems[:20])
        more = f"; and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__("Import refused", field=None, detail=shown + more)
        self.problems = problems


@dataclass(frozen=True, slots=True)
class ImportReport:
    kind: str
    created: int
    ids: tuple[str, ...]


def import_csv(session: Session, *, kind: ImportKind, text: str, now: datetime) -> ImportReport:
    """Create a resource per row; ImportFailed (nothing to keep) if any row is bad."""
    if kind not in COLUMNS:
        raise InvalidInput("Unknown import kind", field="kind", detail="devices, ports or links")
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), skipinitialspace=True)
    _check_header(kind, reader.fieldnames)
    problems: list[RowProblem] = []
    ids: list[str] = []
    for row in reader:
        line = reader.line_num
        values = {key: (value or "").strip() for key, value in row.items() if key is not None}
        if None in row:
            problems.append(RowProblem(line, None, "more values than columns"))
            continue
        empty = sorted(name for name in COLUMNS[kind][0] if not values.get(name))
        if empty:
            problems += [RowProblem(line, name, "is required") for name in empty]
            continue
        try:
            with session.begin_nested():
                document = _document(session, kind, values)
                created = create_resource(session, resource=RESOURCE, payload=document, now=now)
            ids.append(created["id"])
        except DomainError as exc:
            problems.append(RowProblem(line, _column(kind, exc.field), exc.detail or exc.reason))
    if not ids and not problems:
        raise InvalidInput("Empty import", field="text", detail="the file has no data rows")
    if problems:
        raise ImportFailed(problems)
    return ImportReport(kind=kind, created=len(ids), ids=tuple(ids))


def _check_header(kind: str, header: Any) -> None:
    required, optional = COLUMNS[kind]
    names = {name.strip() for name in header or ()}
    missing = sorted(required - names)
    unknown = sorted(names - required - optional)
    if missing or unknown:
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + (
            [f"unknown {', '.join(unknown)}"] if unknown else []
        )
        raise ImportFailed([RowProblem(1, "header", "; ".join(parts))])


def _column(kind: str, field: str | None) -> str | None:
    """The CSV column an error on a TMF field comes from, where we can tell."""
    if field is None:
        return None
    if field.startswith("resourceCharacteristic."):
        characteristic = field.removeprefix("resourceCharacteristic.")
        if kind == "ports" and characteristic == "name":
            return "name"
        return characteristic
    return field


def _characteristics(values: dict[str, str], names: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{"name": name, "value": values[name]} for name in names if values.get(name)]


def _document(session: Session, kind: str, values: dict[str, str]) -> dict[str, Any]:
    if kind == "devices":
        return _device(session, values)
    if kind == "ports":
        device = _one(session, "device", values["device"], "device")
        return {
            "@type": "Port",
            "name": values["name"],
            "resourceCharacteristic": _characteristics(values, ("name", "role")),
            "resourceRelationship": [_relation(domain.CONTAINED_IN, device, "Device")],
        }
    a_port = _port(session, values, "a")
    b_port = _port(session, values, "b")
    name = values.get("name") or (
        f"{values['aDevice']}:{values['aPort']} - {values['bDevice']}:{values['bPort']}"
    )
    return {
        "@type": "Link",
        "name": name,
        "resourceRelationship": [
            _relation(domain.CONNECTS_TO, a_port, "Port"),
            _relation(domain.CONNECTS_TO, b_port, "Port"),
        ],
    }


def _device(session: Session, values: dict[str, str]) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@type": "Device",
        "name": values["name"],
        "resourceCharacteristic": _characteristics(
            values, ("vendor", "model", "managementAddress", "netconfPort")
        ),
    }
    if values.get("description"):
        document["description"] = values["description"]
    if values.get("site"):
        site = _one(session, "site", values["site"], "site")
        document["place"] = {"id": site, "role": "installedAt", "@referredType": "Site"}
    return document


def _port(session: Session, values: dict[str, str], end: str) -> str:
    device = _one(session, "device", values[f"{end}Device"], f"{end}Device")
    name = values[f"{end}Port"]
    for port_id, body in repository.children(session, device, "port"):
        if domain.characteristic(body, "name") == name:
            return port_id
    raise InvalidInput("Unknown port", field=f"{end}Port", detail=f"{name} is not on that device")


def _one(session: Session, kind: str, key: str, column: str) -> str:
    if not key:
        raise InvalidInput("Missing value", field=column, detail="is required")
    found = repository.find_by_name_or_id(session, kind, key)
    if not found:
        raise InvalidInput(f"Unknown {kind}", field=column, detail=f"no {kind} {key!r}")
    if len(found) > 1:
        raise InvalidInput(f"Ambiguous {kind}", field=column, detail=f"several named {key!r}")
    return found[0]


def _relation(relationship_type: str, target: str, referred: str) -> dict[str, Any]:
    return {
        "relationshipType": relationship_type,
        "resource": {"id": target, "@referredType": referred},
    }
