"""account over HTTP: TMF666, from the generic TMF routes."""

from __future__ import annotations

from fastapi import APIRouter

from ossbss.account.resources import ACCOUNT_API, RESOURCES
from ossbss.tmf import Edge, tmf_router


def router(edge: Edge) -> APIRouter:
    return tmf_router(RESOURCES, (ACCOUNT_API,), edge)
