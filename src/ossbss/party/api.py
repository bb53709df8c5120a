"""party over HTTP: TMF632 and TMF629, from the generic TMF routes."""

from __future__ import annotations

from fastapi import APIRouter

from ossbss.party.resources import CUSTOMER_API, PARTY_API, RESOURCES
from ossbss.tmf import Edge, tmf_router


def router(edge: Edge) -> APIRouter:
    return tmf_router(RESOURCES, (PARTY_API, CUSTOMER_API), edge)
