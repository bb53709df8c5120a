"""Product lifecycle rules (TMF637), pure."""

from __future__ import annotations

from typing import Any

from ossbss.kernel.errors import InvalidInput

# The v4 enum spells one value "aborted " (trailing space): bodies are validated against the
# spec file, so that is the form stored and served (docs/api.md).
ABORTED = "aborted "
STATUSES = frozenset(
    {
        "created",
        "pendingActive",
        "active",
        "suspended",
        "pendingTerminate",
        "terminated",
        "cancelled",
        ABORTED,
    }
)
INITIAL = frozenset({"created", "pendingActive", "active"})
LIFECYCLE: dict[str, frozenset[str]] = {
    "created": frozenset({"pendingActive", "active", "cancelled", ABORTED}),
    "pendingActive": frozenset({"active", "cancelled", ABORTED}),
    "active": frozenset({"suspended", "pendingTerminate", "terminated"}),
    "suspended": frozenset({"active", "pendingTerminate", "terminated"}),
    # A termination that fails on the network leaves the product as it was.
    "pendingTerminate": frozenset({"terminated", "active", "suspended"}),
    "terminated": frozenset(),
    "cancelled": frozenset(),
    ABORTED: frozenset(),
}


def normalise_status(value: Any) -> str:
    if value is None:
        return "created"
    status = ABORTED if str(value).strip() == ABORTED.strip() else str(value)
    if status not in STATUSES:
        raise InvalidInput(
            "Invalid status", field="status", detail=f"one of {', '.join(sorted(STATUSES))}"
        )
    return status


def ref_id(document: dict[str, Any], name: str) -> str | None:
    ref = document.get(name)
    return str(ref["id"]) if isinstance(ref, dict) and ref.get("id") else None


def customer_ids(document: dict[str, Any]) -> list[str]:
    return [
        str(party["id"])
        for party in document.get("relatedParty") or []
        if isinstance(party, dict) and party.get("role", "").lower() == "customer"
    ]
