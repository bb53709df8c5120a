"""The HTTP composition root: every room's API, the Error body, health, docs."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from ossbss import __version__, bootstrap
from ossbss.kernel import DomainError, Settings
from ossbss.kernel.time import Clock
from ossbss.tmf import Api, error_body, error_response, json_response

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    run_dispatcher: bool = True,
    platform: bootstrap.Platform | None = None,
) -> FastAPI:
    platform = platform or bootstrap.build(settings, clock=clock)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if run_dispatcher:
            platform.start()
        yield
        platform.stop()

    app = FastAPI(
        title="ossbss",
        version=__version__,
        description=(
            "Open-source OSS/BSS: TM Forum Open APIs (v4). Send `Authorization: Bearer <api key>`."
        ),
        lifespan=lifespan,
    )
    app.state.platform = platform
    _install_error_handlers(app)
    for room in bootstrap.ROOMS:
        # Flat: the routes join the app's own list (an included router adds a matching layer).
        app.router.routes.extend(room.router(platform.edge).routes)

    @app.get("/health", tags=["operations"], summary="Ready to serve?")
    async def health() -> Response:
        def probe() -> None:
            with platform.database.unit_of_work(write=False) as session:
                session.execute(text("SELECT 1"))

        try:
            await run_in_threadpool(probe)
        except Exception as exc:
            log.warning("health check failed: %s", exc)
            return json_response(error_body(503, "UNAVAILABLE", "Database unavailable"), 503)
        return json_response({"status": "ok", "version": __version__})

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_request: Request, exc: DomainError) -> Response:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        field = ".".join(str(part) for part in first.get("loc", ())[1:])
        message = (
            f"{field}: {first.get('msg', 'invalid')}" if field else str(first.get("msg", "invalid"))
        )
        return json_response(error_body(400, "INVALID_INPUT", "Invalid request", message), 400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> Response:
        reason = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, str(exc.detail))
        return json_response(
            error_body(exc.status_code, f"HTTP_{exc.status_code}", reason, str(exc.detail)),
            exc.status_code,
            dict(exc.headers or {}),
        )

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", exc_info=exc)
        return json_response(error_body(500, "INTERNAL_ERROR", "Internal server error"), 500)


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema plus the TMF spec definitions our routes refer to."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    apis = {resource.api for room in bootstrap.ROOMS for resource in room.RESOURCES}
    for api in sorted(apis, key=lambda a: a.name):
        components.update(_spec_components(api))
    schema.setdefault("components", {})["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "description": "an ossbss API key"}
    }
    schema["security"] = [{"bearer": []}]
    app.openapi_schema = schema
    return schema


def _spec_components(api: Api) -> dict[str, Any]:
    prefix = f"#/components/schemas/{api.name}."

    def convert(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                key: (prefix + value.rsplit("/", 1)[1] if key == "$ref" else convert(value))
                for key, value in node.items()
                if key != "discriminator"
            }
        if isinstance(node, list):
            return [convert(item) for item in node]
        return node

    return {f"{api.name}.{name}": convert(body) for name, body in api.spec.definitions.items()}
