"""provisioning over HTTP: TMF641 service orders, from the generic TMF routes."""

from __future__ import annotations

from fastapi import APIRouter

from ossbss.provisioning.resources import RESOURCES, SERVICE_ORDERING_API
from ossbss.tmf import Edge, tmf_router


def router(edge: Edge) -> APIRouter:
    return tmf_router(RESOURCES, (SERVICE_ORDERING_API,), edge)
