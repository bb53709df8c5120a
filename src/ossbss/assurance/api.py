"""assurance's HTTP routes: TMF642 alarms, TMF621 trouble tickets, collectors' webhooks."""

from __future__ import annotations

from fastapi import APIRouter

from ossbss.assurance import alertmanager
from ossbss.assurance.alarm_api import add_alarm_routes
from ossbss.assurance.maintenance_api import add_maintenance_routes
from ossbss.assurance.tickets import add_ticket_routes
from ossbss.tmf import Edge


def router(edge: Edge) -> APIRouter:
    routes = APIRouter()
    add_alarm_routes(routes, edge)
    routes.include_router(alertmanager.routes(edge))
    add_ticket_routes(routes, edge)
    add_maintenance_routes(routes, edge)
    return routes
