"""The console's edge: browser sessions, CSRF, role checks, the unit of work, HTML rendering.

Pages call rooms' public functions through ``Web.read`` and ``Web.write`` exactly as the API
routes do through ``tmf.Edge``; the difference is who they are (a signed session cookie instead
of an API key) and what they answer (HTML, or a redirect to the sign-in page).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from itsdangerous import BadSignature, URLSafeTimedSerializer
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ossbss import iam
from ossbss.console import formats, roles
from ossbss.iam import Principal
from ossbss.kernel import Clock, Database
from ossbss.kernel.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound

log = logging.getLogger(__name__)
T = TypeVar("T")

COOKIE = "ossbss_console"
FLASH_COOKIE = "ossbss_flash"
SESSION_SECONDS = 12 * 3600
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
STATUS = {InvalidInput: 400, Forbidden: 403, NotFound: 404, Conflict: 409}


class NotSignedIn(Exception):
    """No valid session for a page that needs one: the answer is the sign-in page."""


@dataclass
class Web:
    database: Database
    clock: Clock
    secret: str
    templates: Environment = field(init=False)
    _signer: URLSafeTimedSerializer = field(init=False)

    def __post_init__(self) -> None:
        self._signer = URLSafeTimedSerializer(self.secret, salt="ossbss-console")
        self.templates = Environment(
            loader=PackageLoader("ossbss.console", "templates"),
            autoescape=select_autoescape(default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        formats.install(self.templates)
        # Templates show an action only to who may take it: {% if may(roles.BILLING) %}.
        self.templates.globals["roles"] = roles

    # -- sessions ----------------------------------------------------------------------------

    def session(self, request: Request) -> dict[str, Any]:
        """The browser's session: always a CSRF token, and the user once signed in. Read once
        per request (cached on ``request.state``)."""
        cached: dict[str, Any] | None = getattr(request.state, "console_session", None)
        if cached is not None:
            return cached
        data: dict[str, Any] = {}
        raw = request.cookies.get(COOKIE)
        if raw:
            try:
                loaded = self._signer.loads(raw, max_age=SESSION_SECONDS)
                data = loaded if isinstance(loaded, dict) else {}
            except BadSignature:
                data = {}
        fresh = "csrf" not in data
        if fresh:
            data = {"csrf": secrets.token_urlsafe(32)}
        request.state.console_session = data
        request.state.console_session_dirty = fresh
        return data

    def sign_in(self, request: Request, principal: Principal) -> None:
        """A new session (new CSRF token: no fixation) for ``principal``."""
        request.state.console_session = {
            "csrf": secrets.token_urlsafe(32),
            "user": principal.username,
        }
        request.state.console_session_dirty = True

    def sign_out(self, request: Request) -> None:
        request.state.console_session = {"csrf": secrets.token_urlsafe(32)}
        request.state.console_session_dirty = True

    def csrf_token(self, request: Request) -> str:
        return str(self.session(request)["csrf"])

    def _viewer(self, session: Session, request: Request) -> Principal | None:
        """Who is signed in, as the database says now (a disabled user or changed role takes
        effect on the next request)."""
        username = self.session(request).get("user")
        if not username:
            return None
        cached: Principal | None = getattr(request.state, "viewer", None)
        if cached is None:
            cached = iam.principal_of(session, username=str(username))
            request.state.viewer = cached
        return cached

    def _authorise(self, session: Session, request: Request, roles: frozenset[str]) -> Principal:
        viewer = self._viewer(session, request)
        if viewer is None:
            raise NotSignedIn
        if viewer.is_customer:
            allowed = iam.CUSTOMER in roles
        else:
            staff_roles = roles - {iam.CUSTOMER}
            allowed = bool(staff_roles) and iam.may(viewer.role, staff_roles)
        if not allowed:
            raise Forbidden("Not allowed", detail=f"the {viewer.role} role may not do this")
        return viewer

    # -- the unit of work ---------------------------------------------------------------------

    async def read(
        self,
        request: Request,
        roles: frozenset[str],
        work: Callable[[Session, Principal], T],
    ) -> T:
        """Run ``work(session, viewer)`` read-only, once ``viewer`` may see the page."""

        def run() -> T:
            with self.database.unit_of_work(write=False) as session:
                viewer = self._authorise(session, request, roles)
                return work(session, viewer)

        return await self._run(run)

    async def write(
        self,
        request: Request,
        roles: frozenset[str],
        work: Callable[[Session, Principal, datetime], T],
    ) -> T:
        """Run ``work(session, viewer, now)`` in one transaction, after the CSRF check and the
        role check. A DomainError rolls everything back."""
        await self.check_csrf(request)

        def run() -> T:
            with self.database.unit_of_work() as session:
                viewer = self._authorise(session, request, roles)
                return work(session, viewer, self.clock.now())

        return await self._run(run)

    async def check_csrf(self, request: Request) -> None:
        expected = self.csrf_token(request)
        sent = request.headers.get(CSRF_HEADER)
        if sent is None:
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
        if not sent or not secrets.compare_digest(sent, expected):
            raise Forbidden(
                "Form expired or forged",
                field=CSRF_FIELD,
                detail="reload the page and submit the form again",
            )

    async def _run(self, run: Callable[[], T]) -> T:
        # As tmf.Edge: embedded SQLite work runs on the loop, a networked database in threads.
        if self.database.is_sqlite:
            return run()
        return await run_in_threadpool(run)

    # -- answers --------------------------------------------------------------------------------

    def render(
        self, request: Request, template: str, status: int = 200, **context: Any
    ) -> Response:
        """``template`` with the viewer, CSRF token, flash message and ``context``."""
        flash = self._flash(request)
        viewer: Principal | None = getattr(request.state, "viewer", None)
        body = self.templates.get_template(template).render(
            request=request,
            viewer=viewer,
            may=lambda allowed: _may(viewer, allowed),
            csrf_token=self.csrf_token(request),
            csrf_field=CSRF_FIELD,
            flash=flash,
            **context,
        )
        response: Response = HTMLResponse(body, status_code=status)
        if flash:
            response.delete_cookie(FLASH_COOKIE, path="/")
        return self.finish(request, response)

    def redirect(self, request: Request, url: str, *, notice: str | None = None) -> Response:
        """303 to ``url`` (POST/redirect/GET), with ``notice`` shown once on the next page.
        An htmx request gets ``HX-Redirect`` instead (htmx would swap the page into a target)."""
        if request.headers.get("hx-request"):
            response: Response = Response(status_code=204, headers={"HX-Redirect": url})
        else:
            response = RedirectResponse(url, status_code=303)
        if notice:
            response.set_cookie(
                FLASH_COOKIE,
                self._signer.dumps({"notice": notice}),
                max_age=60,
                httponly=True,
                samesite="lax",
                path="/",
            )
        return self.finish(request, response)

    def finish(self, request: Request, response: Response) -> Response:
        """Write the session cookie when it changed."""
        if getattr(request.state, "console_session_dirty", False):
            response.set_cookie(
                COOKIE,
                self._signer.dumps(request.state.console_session),
                max_age=SESSION_SECONDS,
                httponly=True,
                samesite="lax",
                secure=request.url.scheme == "https",
                path="/",
            )
        return response

    def _flash(self, request: Request) -> str | None:
        raw = request.cookies.get(FLASH_COOKIE)
        if not raw:
            return None
        try:
            data = self._signer.loads(raw, max_age=120)
        except BadSignature:
            return None
        return str(data.get("notice")) if isinstance(data, dict) else None

    def error_page(self, request: Request, exc: DomainError) -> Response:
        status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)
        if request.headers.get("hx-request"):
            # htmx swaps error answers into #flash (see the htmx-config meta in base.html).
            response = self.render(request, "partials/error.html", status=status, error=exc)
            response.headers["HX-Retarget"] = "#flash"
            response.headers["HX-Reswap"] = "innerHTML"
            return response
        return self.render(request, "error.html", status=status, error=exc)

    def sign_in_page(self, request: Request) -> Response:
        if request.headers.get("hx-request"):
            return self.finish(
                request, Response(status_code=204, headers={"HX-Redirect": "/login"})
            )
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        login = "/my/login" if request.url.path.startswith("/my") else "/login"
        return self.finish(
            request, RedirectResponse(f"{login}?next={quote(target)}", status_code=303)
        )


def _may(viewer: Principal | None, allowed: frozenset[str]) -> bool:
    """What Web.write's role check will say for a staff ``viewer`` (templates hide the rest)."""
    return viewer is not None and not viewer.is_customer and iam.may(viewer.role, allowed)


def form_values(form: Mapping[str, Any]) -> dict[str, str]:
    """A submitted form as plain strings (files and the CSRF token left out), trimmed."""
    return {
        key: value.strip()
        for key, value in form.items()
        if isinstance(value, str) and key != CSRF_FIELD
    }


def console_route(web: Web) -> type[APIRoute]:
    """Routes whose errors become HTML pages: no session → the sign-in page; a DomainError →
    an error page with the matching status (or a flash fragment for htmx)."""

    class ConsoleRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def guarded(request: Request) -> Response:
                try:
                    response = await handler(request)
                except NotSignedIn:
                    return web.sign_in_page(request)
                except DomainError as exc:
                    return web.error_page(request, exc)
                return web.finish(request, response)

            return guarded

    return ConsoleRoute
