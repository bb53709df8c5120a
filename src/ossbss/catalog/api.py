"""catalog over HTTP: TMF620, from the generic TMF routes."""

from __future__ import annotations

from fastapi import APIRouter

from ossbss.catalog.resources import CATALOG_API, RESOURCES
from ossbss.tmf import Edge, hub_router, resource_router


def router(edge: Edge) -> APIRouter:
    combined = APIRouter()
    for resource in RESOURCES:
        combined.include_router(resource_router(resource, edge))
    combined.include_router(hub_router(CATALOG_API, edge))
    return combined
