"""The NOC: the live alarm board (a fragment htmx refreshes every 5 s), one alarm with its
group, impact and ticket, the topology picture and a device with its ports, alarms and KPIs.

Alarm actions (acknowledge, clear, comment) go through ``assurance.patch_alarm``, the very
function TMF642's PATCH /alarm/{id} runs, so the same checks and events apply."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from ossbss import assurance, inventory, performance
from ossbss.console import roles
from ossbss.console.pages import noc_topology
from ossbss.console.web import Web, form_values
from ossbss.iam import Principal
from ossbss.kernel.errors import InvalidInput
from ossbss.kernel.time import Period

REFRESH = "every 5s"
RANGES = {"24h": (timedelta(hours=24), 300), "7d": (timedelta(days=7), 3600)}
CHART_PORTS = 4  # utilisation charts on a device page (uplinks first)
OPER_STATUS = {1: "up", 2: "down", 3: "testing", 5: "dormant", 6: "notPresent", 7: "down"}
# A port's oper status is "unknown" when it was not polled in this long.
OPER_STATUS_AGE = timedelta(hours=1)
ACTIONS = {
    "ack": {"ackState": "acknowledged"},
    "unack": {"ackState": "unacknowledged"},
    "clear": {"state": "cleared"},
}


# --- the board ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BoardFilter:
    severities: tuple[str, ...]
    ack: str | None
    grouped: bool

    def query(self) -> str:
        pairs = [("severity", severity) for severity in self.severities]
        if self.ack:
            pairs.append(("ack", self.ack))
        if self.grouped:
            pairs.append(("grouped", "1"))
        return urlencode(pairs)


def board_filter(request: Request) -> BoardFilter:
    params = request.query_params
    return BoardFilter(
        severities=tuple(value for value in params.getlist("severity") if value),
        ack=params.get("ack") or None,
        grouped=params.get("grouped") == "1",
    )


@dataclass(frozen=True, slots=True)
class BoardView:
    board: assurance.Board
    labels: dict[str, inventory.ResourceLabel]
    filters: BoardFilter
    severities: tuple[str, ...] = assurance.SEVERITIES


def load_board(session: Session, filters: BoardFilter) -> BoardView:
    board = assurance.alarm_board(
        session, severities=filters.severities, ack_state=filters.ack, grouped=filters.grouped
    )
    objects = {alarm.alarmed_object_id for alarm in board.alarms if alarm.alarmed_object_id}
    labels = inventory.resource_labels(session, resource_ids=objects)
    return BoardView(board=board, labels=labels, filters=filters)


# --- one alarm ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlarmView:
    alarm: dict[str, Any]
    detail: assurance.AlarmDetail
    labels: dict[str, inventory.ResourceLabel]


def load_alarm(session: Session, alarm_id: str) -> AlarmView:
    detail = assurance.alarm_detail(session, alarm_id=alarm_id)
    objects = {child.alarmed_object_id for child in detail.children if child.alarmed_object_id}
    own = (detail.document.get("alarmedObject") or {}).get("id")
    if own:
        objects.add(own)
    labels = inventory.resource_labels(session, resource_ids=objects)
    return AlarmView(alarm=detail.document, detail=detail, labels=labels)


def change_alarm(
    session: Session, viewer: Principal, now: datetime, alarm_id: str, patch: dict[str, Any]
) -> None:
    assurance.patch_alarm(session, alarm_id=alarm_id, payload=patch, user=viewer.username, now=now)


def action_patch(action: str, values: dict[str, str]) -> dict[str, Any]:
    if action == "comment":
        text = values.get("comment", "")
        if not text:
            raise InvalidInput("Empty comment", field="comment", detail="write something")
        return {"comment": [{"comment": text}]}
    return ACTIONS[action]


def back_to(values: dict[str, str], alarm_id: str) -> str:
    """Where an action returns: the page it came from (a NOC page only), else the alarm."""
    target = values.get("next", "")
    if target.startswith("/noc") and not target.startswith("//"):
        return target
    return f"/noc/alarms/{alarm_id}"


# --- topology and devices -------------------------------------------------------------------


def load_topology(session: Session) -> noc_topology.Picture:
    topology = inventory.network_topology(session)
    devices = inventory.managed_devices(session)
    severities = assurance.worst_severities(session)
    device_severity: dict[str, str] = {}
    port_severity: dict[str, str] = {}
    names: dict[str, str] = {}
    for device in devices:
        names[device.id] = device.name
        own = [severities.get(device.id)]
        for port in device.ports:
            if port.id in severities:
                port_severity[port.id] = severities[port.id]
                own.append(severities[port.id])
        found = noc_topology.worst(*own)
        if found:
            device_severity[device.id] = found
    return noc_topology.picture(
        topology,
        names=names,
        device_severity=device_severity,
        port_severity=port_severity,
        link_severity={
            link.id: severities[link.id] for link in topology.links if link.id in severities
        },
    )


@dataclass(frozen=True, slots=True)
class PortRow:
    port: inventory.Port
    oper_status: str
    severity: str | None


@dataclass(frozen=True, slots=True)
class DeviceView:
    device: dict[str, Any]
    characteristics: dict[str, Any]
    ports: list[PortRow]
    alarms: list[assurance.BoardAlarm]
    labels: dict[str, str]  # port id -> name
    charts: list[dict[str, Any]]  # id, title, labels, datasets
    range: str


def load_device(session: Session, device_id: str, span: str, now: datetime) -> DeviceView:
    device = inventory.get_resource(session, resource_id=device_id)
    ports = inventory.ports_of(session, device_id=device_id)
    port_ids = [port.id for port in ports]
    status = performance.latest_values(
        session,
        resource_ids=port_ids,
        metric=performance.OPER_STATUS,
        since=now - OPER_STATUS_AGE,
    )
    alarms = assurance.alarms_on(session, object_ids=[device_id, *port_ids])
    worst: dict[str, str] = {}
    for alarm in alarms:  # worst first: the first seen per object is its worst
        if alarm.alarmed_object_id:
            worst.setdefault(alarm.alarmed_object_id, alarm.severity)
    rows = [
        PortRow(
            port=port,
            oper_status=OPER_STATUS.get(int(status[port.id]), "unknown")
            if port.id in status
            else "unknown",
            severity=worst.get(port.id),
        )
        for port in ports
    ]
    characteristics = {
        str(entry.get("name")): entry.get("value")
        for entry in device.get("resourceCharacteristic") or ()
        if isinstance(entry, dict)
    }
    return DeviceView(
        device=device,
        characteristics=characteristics,
        ports=rows,
        alarms=alarms,
        labels={port.id: port.name for port in ports},
        charts=device_charts(session, device_id, ports, span, now),
        range=span,
    )


def device_charts(
    session: Session, device_id: str, ports: list[inventory.Port], span: str, now: datetime
) -> list[dict[str, Any]]:
    """Utilisation in/out of the uplinks (then other ports) and the device's reachability."""
    length, step = RANGES[span]
    period = Period(now - length, now)
    chosen = sorted(ports, key=lambda port: port.role != "uplink")[:CHART_PORTS]
    charts = []
    for index, port in enumerate(chosen):
        charts.append(
            _chart(
                session,
                f"port-{index}",
                f"{port.name} utilisation (%)",
                [
                    (port.id, performance.IN_UTILISATION, "in"),
                    (port.id, performance.OUT_UTILISATION, "out"),
                ],
                period,
                step,
            )
        )
    charts.append(
        _chart(
            session,
            "reachability",
            "Reachability (1 = answered its poll)",
            [(device_id, performance.REACHABLE, "reachable")],
            period,
            step,
        )
    )
    return charts


def _chart(
    session: Session,
    chart_id: str,
    title: str,
    wanted: list[tuple[str, str, str]],
    period: Period,
    step: int,
) -> dict[str, Any]:
    """One line chart of several series on one time axis (a bucket missing in a series is a
    gap, not a zero)."""
    loaded = [
        (
            label,
            performance.series(
                session, resource_id=resource_id, metric=metric, period=period, step=step
            ),
        )
        for resource_id, metric, label in wanted
    ]
    starts = sorted({point.start for _, series in loaded for point in series.points})
    datasets = []
    for label, series in loaded:
        values = {point.start: round(point.average, 2) for point in series.points}
        datasets.append({"label": label, "data": [values.get(start) for start in starts]})
    fmt = "%H:%M" if step < 3600 else "%m-%d %H:%M"
    return {
        "id": chart_id,
        "title": title,
        "labels": [start.strftime(fmt) for start in starts],
        "datasets": datasets,
        "points": len(starts),
    }


# --- routes ---------------------------------------------------------------------------------


def register(router: APIRouter, web: Web) -> None:
    @router.get("/noc")
    async def board(request: Request) -> Response:
        filters = board_filter(request)
        view = await web.read(request, roles.STAFF, lambda s, viewer: load_board(s, filters))
        return web.render(request, "noc/board.html", view=view, refresh=REFRESH)

    @router.get("/noc/board")
    async def board_fragment(request: Request) -> Response:
        filters = board_filter(request)
        view = await web.read(request, roles.STAFF, lambda s, viewer: load_board(s, filters))
        return web.render(request, "noc/_board.html", view=view, refresh=REFRESH)

    @router.get("/noc/alarms/{alarm_id}")
    async def alarm(request: Request, alarm_id: str) -> Response:
        view = await web.read(request, roles.STAFF, lambda s, viewer: load_alarm(s, alarm_id))
        return web.render(request, "noc/alarm.html", view=view)

    @router.post("/noc/alarms/{alarm_id}/{action}")
    async def alarm_action(request: Request, alarm_id: str, action: str) -> Response:
        if action not in (*ACTIONS, "comment"):
            raise InvalidInput("Unknown action", field="action", detail=action)
        values = form_values(await request.form())
        await web.write(
            request,
            roles.NOC,
            lambda s, viewer, now: change_alarm(
                s, viewer, now, alarm_id, action_patch(action, values)
            ),
        )
        notices = {
            "ack": "Alarm acknowledged",
            "unack": "Acknowledgement withdrawn",
            "clear": "Alarm cleared",
            "comment": "Comment added",
        }
        return web.redirect(request, back_to(values, alarm_id), notice=notices[action])

    @router.get("/noc/topology")
    async def topology(request: Request) -> Response:
        view = await web.read(request, roles.STAFF, lambda s, viewer: load_topology(s))
        return web.render(request, "noc/topology.html", picture=view)

    @router.get("/noc/devices/{device_id}")
    async def device(request: Request, device_id: str, range: str = "24h") -> Response:
        if range not in RANGES:
            raise InvalidInput("Unknown range", field="range", detail=", ".join(RANGES))
        now = web.clock.now()
        view = await web.read(
            request, roles.STAFF, lambda s, viewer: load_device(s, device_id, range, now)
        )
        return web.render(request, "noc/device.html", view=view, ranges=list(RANGES))
