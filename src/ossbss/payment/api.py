"""payment over HTTP: TMF676 Payment Management (payments, refunds)."""

from __future__ import annotations

from fastapi import APIRouter

from ossbss.tmf import Edge


def router(edge: Edge) -> APIRouter:
    routes = APIRouter()
    return routes
