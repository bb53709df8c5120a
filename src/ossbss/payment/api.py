"""payment over HTTP: TMF676 Payment Management (payments, refunds)."""

from __future__ import annotations

from fastapi import APIRouter

from ossbss.payment.dunning_api import add_dunning_routes
from ossbss.tmf import Edge


def router(edge: Edge) -> APIRouter:
    routes = APIRouter()
    add_dunning_routes(routes, edge)
    return routes
