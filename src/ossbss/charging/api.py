"""charging over HTTP."""

from __future__ import annotations

from fastapi import APIRouter

from ossbss.tmf import Edge


def router(edge: Edge) -> APIRouter:
    return APIRouter()
