"""ordering over HTTP: TMF622, from the generic TMF routes."""

from __future__ import annotations

from fastapi import APIRouter

from ossbss.ordering.resources import ORDERING_API, RESOURCES
from ossbss.tmf import Edge, tmf_router


def router(edge: Edge) -> APIRouter:
    return tmf_router(RESOURCES, (ORDERING_API,), edge)
