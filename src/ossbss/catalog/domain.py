"""catalog rules, pure: the lifecycle, validity periods, bundles and category trees.

Prices have their own module (``pricing``). Nothing here touches a session or reads the clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from ossbss.kernel.errors import InvalidInput
from ossbss.kernel.time import format_datetime, parse_datetime
from ossbss.tmf import Document, check_initial, check_period, check_transition

STATUS = "lifecycleStatus"
LAUNCHED = "Launched"
RETIRED = "Retired"
OBSOLETE = "Obsolete"
# Not yet for sale. "Active" is in the TM Forum examples: approved, but not launched.
PRE_LAUNCH = ("In study", "In design", "In test", "Active")
LIFECYCLE_STATES = (*PRE_LAUNCH, LAUNCHED, RETIRED, OBSOLETE, "Rejected")
_PRE = frozenset(PRE_LAUNCH)
# Before launch the work may move back and forth freely (a failed test goes back to design);
# once on sale the only ways are retiring, relaunching a retired entity, and obsolescence.
LIFECYCLE: dict[str, frozenset[str]] = {
    **{state: (_PRE - {state}) | {LAUNCHED, "Rejected"} for state in PRE_LAUNCH},
    LAUNCHED: frozenset({RETIRED}),
    RETIRED: frozenset({LAUNCHED, OBSOLETE}),
    OBSOLETE: frozenset(),
    "Rejected": frozenset(),
}
INITIAL = frozenset({*PRE_LAUNCH, LAUNCHED})
DEFAULT_STATUS = "In study"
# Something may have been sold while in these states, so the entity must stay.
UNDELETABLE = frozenset({LAUNCHED, RETIRED})
# A price in these states has been sold: its terms are frozen (Obsolete is only reachable
# through Retired, so it was sold too).
SOLD = frozenset({LAUNCHED, RETIRED, OBSOLETE})
_CANONICAL = {state.casefold(): state for state in LIFECYCLE_STATES}


def normalise_status(raw: Any) -> str:
    """Return the canonical spelling of a lifecycle status ("launched" -> "Launched")."""
    state = _CANONICAL.get(str(raw).strip().casefold()) if isinstance(raw, str) else None
    if state is None:
        raise InvalidInput(
            "Invalid lifecycle status",
            field=STATUS,
            detail=f"must be one of: {', '.join(LIFECYCLE_STATES)}",
        )
    return state


def lifecycle_on_create(document: Document, now: datetime) -> Document:
    """Default and check the initial status; stamp the launch instant when born launched."""
    status = normalise_status(document.get(STATUS) or DEFAULT_STATUS)
    check_initial(INITIAL, status, field=STATUS)
    return _stamp(document, status, now)


def lifecycle_on_update(old: Document, new: Document, now: datetime) -> Document:
    status = normalise_status(new.get(STATUS) or DEFAULT_STATUS)
    check_transition(LIFECYCLE, old.get(STATUS), status, field=STATUS)
    return _stamp(new, status, now)


def _stamp(document: Document, status: str, now: datetime) -> Document:
    """The server owns ``lastUpdate``; a launched entity must say since when it is on sale,
    so a missing ``validFor.startDateTime`` becomes the launch instant."""
    stamped = {**document, STATUS: status, "lastUpdate": format_datetime(now)}
    period = document.get("validFor") or {}
    if status == LAUNCHED and not period.get("startDateTime"):
        stamped["validFor"] = {**period, "startDateTime": format_datetime(now)}
    check_period(stamped)
    return stamped


def is_valid_at(document: Mapping[str, Any], at: datetime) -> bool:
    """Does ``validFor`` contain ``at``? Half-open ``[start, end)``; a missing bound is open."""
    period = document.get("validFor") or {}
    start, end = period.get("startDateTime"), period.get("endDateTime")
    if start and at < parse_datetime(str(start)):
        return False
    return not (end and at >= parse_datetime(str(end)))


def ref_ids(document: Mapping[str, Any], field: str) -> list[tuple[str, str]]:
    """``[(label, id), ...]`` for an array of references, labels such as ``category[1].id``."""
    refs = []
    for index, item in enumerate(document.get(field) or []):
        label = f"{field}[{index}].id"
        if item.get("id") is None:
            # Some TMF620 reference types leave id optional; a reference without one is useless.
            raise InvalidInput("Missing mandatory attribute", field=label, detail="is required")
        refs.append((label, str(item["id"])))
    return refs


def check_bundle(document: Document, field: str) -> None:
    """A bundle lists at least one component and none twice; a non-bundle lists none
    (TMF620: the components only mean something for a bundle)."""
    refs = ref_ids(document, field)
    if document.get("isBundle") is True and not refs:
        raise InvalidInput("Empty bundle", field=field, detail="a bundle needs at least one item")
    if document.get("isBundle") is not True and refs:
        raise InvalidInput("Not a bundle", field="isBundle", detail=f"must be true to list {field}")
    seen: set[str] = set()
    for label, ref_id in refs:
        if ref_id in seen:
            raise InvalidInput(
                "Duplicate bundle item", field=label, detail=f"{ref_id} is listed twice"
            )
        seen.add(ref_id)


def reaches(start: Iterable[str], target: str, children: Callable[[str], Iterable[str]]) -> bool:
    """Does walking ``children`` from ``start`` reach ``target``? (cycle detection)."""
    pending, seen = list(start), set()
    while pending:
        node = pending.pop()
        if node == target:
            return True
        if node not in seen:
            seen.add(node)
            pending.extend(children(node))
    return False


def check_category_root(document: Document) -> Document:
    """``isRoot`` and ``parentId`` must agree; a missing ``isRoot`` is derived from ``parentId``."""
    parent = document.get("parentId")
    is_root = document.get("isRoot")
    if is_root is None:
        return {**document, "isRoot": not parent}
    if is_root and parent:
        raise InvalidInput("Root with a parent", field="isRoot", detail="a root has no parentId")
    if not is_root and not parent:
        raise InvalidInput("Missing parent", field="parentId", detail="required unless isRoot")
    return document
