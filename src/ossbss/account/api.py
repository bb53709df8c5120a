"""account over HTTP: TMF666, from the generic TMF routes."""

from __future__ import annotations

from fastapi import APIRouter

from ossbss.account.resources import ACCOUNT_API, RESOURCES
from ossbss.tmf import Edge, hub_router, resource_router


def router(edge: Edge) -> APIRouter:
    combined = APIRouter()
    for resource in RESOURCES:
        combined.include_router(resource_router(resource, edge))
    combined.include_router(hub_router(ACCOUNT_API, edge))
    return combined
