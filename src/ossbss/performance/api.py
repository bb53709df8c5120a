"""performance's HTTP routes (``/performance/v1``; TMF628 resource names where known)."""

from __future__ import annotations

from fastapi import APIRouter

from ossbss.tmf import Edge


def router(edge: Edge) -> APIRouter:
    routes = APIRouter()
    return routes
