"""catalog (being built)."""

from fastapi import APIRouter

from ossbss.tmf import Edge, Resource

RESOURCES: tuple[Resource, ...] = ()


def router(edge: Edge) -> APIRouter:
    return APIRouter()


__all__ = ["RESOURCES", "router"]
