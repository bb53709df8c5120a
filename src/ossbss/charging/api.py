"""charging over HTTP: TMF654 balances and 3GPP Nchf online charging."""

from __future__ import annotations

from fastapi import APIRouter

from ossbss.charging import balances_api, nchf_api
from ossbss.tmf import Edge


def router(edge: Edge) -> APIRouter:
    routes = APIRouter()
    balances_api.add_routes(routes, edge)
    nchf_api.add_routes(routes, edge)
    return routes
