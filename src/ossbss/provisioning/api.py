"""provisioning over HTTP: TMF641 service orders, from the generic TMF routes."""

from __future__ import annotations

from fastapi import APIRouter

from ossbss.provisioning import activation, history
from ossbss.provisioning.resources import RESOURCES, SERVICE_ORDERING_API
from ossbss.tmf import Edge, tmf_router


def router(edge: Edge) -> APIRouter:
    """TMF641 service orders, TMF640 activation, devices' configuration history."""
    routes = tmf_router(
        RESOURCES + activation.RESOURCES, (SERVICE_ORDERING_API, activation.ACTIVATION_API), edge
    )
    history.add_history_routes(routes, edge)
    return routes
