"""inventory over HTTP: TMF639 and TMF638, from the generic TMF routes."""

from __future__ import annotations

from fastapi import APIRouter

from ossbss.inventory.resources import RESOURCE_API, RESOURCES, SERVICE_API
from ossbss.tmf import Edge, tmf_router


def router(edge: Edge) -> APIRouter:
    return tmf_router(RESOURCES, (RESOURCE_API, SERVICE_API), edge)
