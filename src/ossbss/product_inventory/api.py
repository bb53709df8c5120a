"""product_inventory over HTTP: TMF637, from the generic TMF routes."""

from __future__ import annotations

from fastapi import APIRouter

from ossbss.product_inventory.resources import PRODUCT_INVENTORY_API, RESOURCES
from ossbss.tmf import Edge, tmf_router


def router(edge: Edge) -> APIRouter:
    return tmf_router(RESOURCES, (PRODUCT_INVENTORY_API,), edge)
