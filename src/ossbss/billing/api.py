"""billing over HTTP: TMF678 Customer Bill Management (bills, their lines and documents)."""

from __future__ import annotations

from fastapi import APIRouter

from ossbss.tmf import Edge


def router(edge: Edge) -> APIRouter:
    routes = APIRouter()
    return routes
