"""party over HTTP: TMF632 and TMF629, from the generic TMF routes."""

from __future__ import annotations

from fastapi import APIRouter

from ossbss.party.resources import CUSTOMER_API, PARTY_API, RESOURCES
from ossbss.tmf import Edge, hub_router, resource_router


def router(edge: Edge) -> APIRouter:
    combined = APIRouter()
    for resource in RESOURCES:
        combined.include_router(resource_router(resource, edge))
    for api in (PARTY_API, CUSTOMER_API):
        combined.include_router(hub_router(api, edge))
    return combined
