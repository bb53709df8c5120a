"""console: the operator console and the subscribers' self-care portal — server-rendered
Jinja2 pages with htmx and Chart.js. Like the API routes it calls rooms' public functions
only; it adds browser sessions, CSRF tokens and a role check on every page and action."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

from ossbss.console import auth
from ossbss.console.pages import PAGES
from ossbss.console.web import Web, console_route
from ossbss.tmf import Edge

RESOURCES: tuple[()] = ()


def router(edge: Edge) -> APIRouter:
    web = Web(database=edge.database, clock=edge.clock, secret=edge.session_secret)
    routes = APIRouter(
        route_class=console_route(web),
        default_response_class=HTMLResponse,
        include_in_schema=False,
    )
    auth.register(routes, web)
    for page in PAGES:
        page.register(routes, web)
    routes.mount(
        "/static", StaticFiles(packages=[("ossbss.console", "static")]), name="console-static"
    )
    return routes


__all__ = ["RESOURCES", "Web", "router"]
