"""Thresholds: the rules operators set on KPIs (per metric; for every resource, a device's
ports, or one resource), their per-resource state, and their evaluation on each batch of
samples, which publishes ThresholdCrossed / ThresholdCleared (assurance turns them into
alarms). The hysteresis itself is pure (``hysteresis``)."""

from __future__ import annotations

import math
import tomllib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ossbss import inventory
from ossbss.events.performance import ThresholdCleared, ThresholdCrossed
from ossbss.kernel.errors import InvalidInput, NotFound
from ossbss.kernel.ids import new_id
from ossbss.kernel.outbox import publish
from ossbss.performance import hysteresis
from ossbss.performance.models import Threshold, ThresholdState
from ossbss.performance.samples import Sample

SEVERITIES = ("critical", "major", "minor", "warning", "indeterminate")  # TMF642
SCOPES = ("all", "device", "resource")
DEFAULT_POLICY = Path(__file__).with_name("thresholds.toml")


def reduction_key(threshold_id: str, resource_id: str) -> str:
    return f"threshold:{threshold_id}:{resource_id}"


# --- definitions ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ThresholdView:
    id: str
    name: str
    metric: str
    scope: str
    scope_id: str | None
    direction: str
    raise_level: float
    clear_level: float
    severity: str
    for_samples: int
    enabled: bool
    created_at: datetime
    changed_at: datetime

    @property
    def rule(self) -> hysteresis.Rule:
        return hysteresis.Rule(self.direction, self.raise_level, self.clear_level, self.for_samples)


# Wire names (camelCase) -> column names; what create and update accept.
FIELDS = {
    "name": "name",
    "metric": "metric",
    "scope": "scope",
    "scopeId": "scope_id",
    "direction": "direction",
    "raiseLevel": "raise_level",
    "clearLevel": "clear_level",
    "severity": "severity",
    "forSamples": "for_samples",
    "enabled": "enabled",
}
REQUIRED = ("name", "metric", "raiseLevel", "clearLevel", "severity")
DEFAULTS: dict[str, Any] = {
    "scope": "all",
    "scopeId": None,
    "direction": hysteresis.ABOVE,
    "forSamples": 1,
    "enabled": True,
}


def _view(row: Threshold) -> ThresholdView:
    return ThresholdView(
        id=row.id,
        name=row.name,
        metric=row.metric,
        scope=row.scope,
        scope_id=row.scope_id,
        direction=row.direction,
        raise_level=row.raise_level,
        clear_level=row.clear_level,
        severity=row.severity,
        for_samples=row.for_samples,
        enabled=row.enabled,
        created_at=row.created_at,
        changed_at=row.changed_at,
    )


def check_definition(values: Mapping[str, Any]) -> dict[str, Any]:
    """A full definition (wire names) checked; InvalidInput names the first bad field."""
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        raise InvalidInput("Unknown field", field=unknown[0], detail=f"known: {', '.join(FIELDS)}")
    for name in REQUIRED:
        if values.get(name) is None:
            raise InvalidInput("Missing field", field=name)
    for name in ("name", "metric"):
        if not isinstance(values[name], str) or not values[name].strip():
            raise InvalidInput("Invalid value", field=name, detail="a non-empty string")
    for name in ("raiseLevel", "clearLevel"):
        value = values[name]
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise InvalidInput("Invalid value", field=name, detail="a finite number")
    if values["severity"] not in SEVERITIES:
        raise InvalidInput(
            "Invalid value", field="severity", detail=f"one of {', '.join(SEVERITIES)}"
        )
    if values["scope"] not in SCOPES:
        raise InvalidInput("Invalid value", field="scope", detail=f"one of {', '.join(SCOPES)}")
    scope_id = values.get("scopeId")
    if (values["scope"] == "all") != (scope_id is None) or (
        scope_id is not None and (not isinstance(scope_id, str) or not scope_id)
    ):
        raise InvalidInput(
            "Invalid value", field="scopeId", detail='a resource id, except for scope "all"'
        )
    count = values["forSamples"]
    if isinstance(count, bool) or not isinstance(count, int):
        raise InvalidInput("Invalid value", field="forSamples", detail="an integer")
    if not isinstance(values["enabled"], bool):
        raise InvalidInput("Invalid value", field="enabled", detail="true or false")
    rule = hysteresis.Rule(
        values["direction"], float(values["raiseLevel"]), float(values["clearLevel"]), count
    )
    bad = hysteresis.problem(rule)
    if bad is not None:
        raise InvalidInput("Invalid threshold", field=bad[0], detail=bad[1])
    return {FIELDS[name]: value for name, value in values.items()}


def create_threshold(
    session: Session, *, values: Mapping[str, Any], now: datetime
) -> ThresholdView:
    columns = check_definition({**DEFAULTS, **values})
    columns["raise_level"] = float(columns["raise_level"])
    columns["clear_level"] = float(columns["clear_level"])
    row = Threshold(id=new_id(), created_at=now, changed_at=now, **columns)
    session.add(row)
    session.flush()
    return _view(row)


def update_threshold(
    session: Session, *, threshold_id: str, changes: Mapping[str, Any], now: datetime
) -> ThresholdView:
    """Merge ``changes`` (wire names) into the threshold. A changed rule keeps the state of
    resources already raised: they clear by the new clear level."""
    row = _row(session, threshold_id)
    current = _wire(_view(row))
    columns = check_definition({**current, **changes})
    for name, value in columns.items():
        setattr(row, name, float(value) if name.endswith("_level") else value)
    row.changed_at = now
    session.flush()
    return _view(row)


def delete_threshold(session: Session, *, threshold_id: str) -> None:
    """Forget the threshold and its states (alarms it raised are cleared by the operator)."""
    row = _row(session, threshold_id)
    for state in session.scalars(
        select(ThresholdState).where(ThresholdState.threshold_id == threshold_id)
    ):
        session.delete(state)
    session.delete(row)
    session.flush()


def get_threshold(session: Session, *, threshold_id: str) -> ThresholdView:
    return _view(_row(session, threshold_id))


def list_thresholds(session: Session, *, metric: str | None = None) -> list[ThresholdView]:
    query = select(Threshold).order_by(Threshold.pk)
    if metric is not None:
        query = query.where(Threshold.metric == metric)
    return [_view(row) for row in session.scalars(query)]


def _wire(view: ThresholdView) -> dict[str, Any]:
    return {wire: getattr(view, column) for wire, column in FIELDS.items()}


def _row(session: Session, threshold_id: str) -> Threshold:
    row = session.scalar(select(Threshold).where(Threshold.id == threshold_id))
    if row is None:
        raise NotFound("No such threshold", detail=threshold_id)
    return row


def load_policy(path: Path | None = None) -> list[dict[str, Any]]:
    """The threshold definitions of a policy file (TOML ``[[threshold]]`` tables)."""
    with (path or DEFAULT_POLICY).open("rb") as handle:
        document = tomllib.load(handle)
    return [dict(entry) for entry in document.get("threshold", [])]


def seed_thresholds(session: Session, *, now: datetime, path: Path | None = None) -> int:
    """Create the policy's thresholds whose name is not taken yet; returns how many."""
    taken = set(session.scalars(select(Threshold.name)))
    created = 0
    for values in load_policy(path):
        if values.get("name") not in taken:
            create_threshold(session, values=values, now=now)
            created += 1
    return created


# --- evaluation ----------------------------------------------------------------------------


def evaluate(session: Session, *, samples: Sequence[Sample], now: datetime) -> int:
    """Run the thresholds over a batch, in time order per resource; publishes a crossing or a
    clearing per transition and returns how many. A sample older than the last one a state has
    seen is ignored (a late duplicate must not reorder history)."""
    metrics = {sample.metric for sample in samples}
    if not metrics:
        return 0
    active = [
        _view(row)
        for row in session.scalars(
            select(Threshold).where(Threshold.metric.in_(metrics), Threshold.enabled.is_(True))
        )
    ]
    if not active:
        return 0
    by_metric: dict[str, list[ThresholdView]] = defaultdict(list)
    for threshold in active:
        by_metric[threshold.metric].append(threshold)
    device_ports = _device_ports(session, active)
    states = _states(session, [t.id for t in active], {s.resource_id for s in samples})
    published = 0
    for sample in sorted(samples, key=lambda s: s.at):
        for threshold in by_metric.get(sample.metric, ()):
            if not _applies(threshold, sample.resource_id, device_ports):
                continue
            published += _apply(session, threshold, sample, states, now)
    return published


def _applies(
    threshold: ThresholdView, resource_id: str, device_ports: Mapping[str, set[str]]
) -> bool:
    if threshold.scope == "all":
        return True
    if threshold.scope == "resource":
        return threshold.scope_id == resource_id
    return resource_id in device_ports.get(threshold.scope_id or "", set())


def _device_ports(session: Session, thresholds: Sequence[ThresholdView]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for device_id in {t.scope_id for t in thresholds if t.scope == "device" and t.scope_id}:
        try:
            found[device_id] = {
                port.id for port in inventory.ports_of(session, device_id=device_id)
            }
        except NotFound:
            found[device_id] = set()
    return found


def _states(
    session: Session, threshold_ids: Sequence[str], resource_ids: set[str]
) -> dict[tuple[str, str], ThresholdState]:
    found: dict[tuple[str, str], ThresholdState] = {}
    ordered = sorted(resource_ids)
    # in chunks: a poll of every port of a large network would pass SQLite's parameter limit
    for start in range(0, len(ordered), 5_000):
        rows = session.scalars(
            select(ThresholdState).where(
                ThresholdState.threshold_id.in_(list(threshold_ids)),
                ThresholdState.resource_id.in_(ordered[start : start + 5_000]),
            )
        )
        found.update({(row.threshold_id, row.resource_id): row for row in rows})
    return found


def _apply(
    session: Session,
    threshold: ThresholdView,
    sample: Sample,
    states: dict[tuple[str, str], ThresholdState],
    now: datetime,
) -> int:
    key = (threshold.id, sample.resource_id)
    row = states.get(key)
    if row is not None and sample.at < row.last_at:
        return 0
    standing = hysteresis.Standing(row.raised, row.streak) if row else hysteresis.CLEAR_STANDING
    after, transition = hysteresis.step(threshold.rule, standing, sample.value)
    if row is None:
        if after == hysteresis.CLEAR_STANDING and transition is None:
            return 0  # nothing to remember: clear with no streak is the default
        row = ThresholdState(
            threshold_id=threshold.id,
            resource_id=sample.resource_id,
            raised=False,
            streak=0,
            last_at=sample.at,
            changed_at=sample.at,
        )
        session.add(row)
        states[key] = row
    row.last_at = sample.at
    row.streak = after.streak
    if transition is None:
        return 0
    row.raised = after.raised
    row.changed_at = sample.at
    event: ThresholdCrossed | ThresholdCleared
    if transition == hysteresis.RAISE:
        event = ThresholdCrossed(
            reduction_key=reduction_key(threshold.id, sample.resource_id),
            resource_id=sample.resource_id,
            metric=sample.metric,
            value=sample.value,
            threshold=threshold.raise_level,
            perceived_severity=threshold.severity,
            occurred_at=sample.at,
        )
    else:
        event = ThresholdCleared(
            reduction_key=reduction_key(threshold.id, sample.resource_id),
            resource_id=sample.resource_id,
            metric=sample.metric,
            value=sample.value,
            occurred_at=sample.at,
        )
    publish(session, event, now=now)
    return 1
