"""billing over HTTP: TMF678 Customer Bill Management (bills, their lines and documents)."""

from __future__ import annotations

from fastapi import APIRouter

from ossbss.billing.documents import add_document_routes
from ossbss.tmf import Edge


def router(edge: Edge) -> APIRouter:
    routes = APIRouter()
    add_document_routes(routes, edge)
    return routes
