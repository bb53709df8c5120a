"""catalog over HTTP: TMF620, from the generic TMF routes."""

from __future__ import annotations

from fastapi import APIRouter

from ossbss.catalog.resources import CATALOG_API, RESOURCES
from ossbss.tmf import Edge, tmf_router


def router(edge: Edge) -> APIRouter:
    return tmf_router(RESOURCES, (CATALOG_API,), edge)
