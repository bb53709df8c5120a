"""Customers: the search (one box: name, e-mail, phone, customer id, billing account) and
the customer 360. Staff read both; the actions the 360 links to are customer_actions'."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ossbss import party
from ossbss.console import roles
from ossbss.console.pages.customers_360 import load_360
from ossbss.console.web import Web

PAGE_SIZES = (20, 50, 100)


def register(router: APIRouter, web: Web) -> None:
    @router.get("/customers")
    async def customers(
        request: Request, q: str = "", offset: int = 0, limit: int = 20
    ) -> Response:
        size = limit if limit in PAGE_SIZES else PAGE_SIZES[0]
        found = await web.read(
            request,
            roles.STAFF,
            lambda s, viewer: party.search_customers(s, text=q, offset=offset, limit=size),
        )
        return web.render(request, "customers/list.html", q=q.strip(), page=found)

    @router.get("/customers/{customer_id}")
    async def customer(request: Request, customer_id: str) -> Response:
        now = web.clock.now()
        view = await web.read(
            request, roles.STAFF, lambda s, viewer: load_360(s, customer_id=customer_id, now=now)
        )
        return web.render(request, "customers/detail.html", view=view, now=now)
