"""Sign-in and sign-out: staff at /login, subscribers at /my/login (one user table, the role
decides where each lands)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from ossbss import iam
from ossbss.console.web import Web

HOME = {True: "/my", False: "/dashboard"}  # by Principal.is_customer


def register(router: APIRouter, web: Web) -> None:
    @router.get("/")
    async def root(request: Request) -> Response:
        viewer = await _viewer(web, request)
        if viewer is None:
            return web.redirect(request, "/login")
        return web.redirect(request, HOME[viewer.is_customer])

    @router.get("/login")
    async def login_page(request: Request, next: str = "") -> Response:
        return web.render(request, "login.html", next=_safe_next(next), portal=False)

    @router.get("/my/login")
    async def self_care_login_page(request: Request, next: str = "") -> Response:
        return web.render(request, "login.html", next=_safe_next(next), portal=True)

    @router.post("/login")
    async def login(
        request: Request,
        username: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
        next: Annotated[str, Form()] = "",
        portal: Annotated[bool, Form()] = False,
    ) -> Response:
        await web.check_csrf(request)
        with web.database.unit_of_work(write=False) as session:
            principal = iam.sign_in(session, username=username.strip(), password=password)
        if principal is None:
            return web.render(
                request,
                "login.html",
                status=401,
                next=_safe_next(next),
                portal=portal,
                username=username,
                error="Unknown user or wrong password.",
            )
        web.sign_in(request, principal)
        request.state.viewer = principal
        target = _safe_next(next)
        if not target or target.startswith("/my") != principal.is_customer:
            target = HOME[principal.is_customer]
        return web.redirect(request, target)

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        await web.check_csrf(request)
        viewer = await _viewer(web, request)
        web.sign_out(request)
        return web.redirect(request, "/my/login" if viewer and viewer.is_customer else "/login")


async def _viewer(web: Web, request: Request) -> iam.Principal | None:
    username = web.session(request).get("user")
    if not username:
        return None
    with web.database.unit_of_work(write=False) as session:
        return iam.principal_of(session, username=str(username))


def _safe_next(target: str) -> str:
    """Only a path on this site (no open redirect to another host)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return ""
