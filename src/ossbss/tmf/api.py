"""TMF630 over HTTP, written once: routes for any Resource, the hub, and the Error body."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol, TypeVar

import orjson
from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from ossbss.kernel.db import Database
from ossbss.kernel.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthenticated,
    UnsupportedMediaType,
)
from ossbss.kernel.time import Clock
from ossbss.tmf import hub, service
from ossbss.tmf.query import parse_fields, parse_list_query, select_fields
from ossbss.tmf.resource import Api, Document, Resource

T = TypeVar("T")
JSON = "application/json;charset=utf-8"
PATCH_TYPES = ("application/merge-patch+json", "application/json")

STATUS = {
    InvalidInput: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    UnsupportedMediaType: 415,
}


class Authorizer(Protocol):
    """Checks the request's credentials; ``roles=None`` means any authenticated caller."""

    def __call__(self, request: Request, roles: frozenset[str] | None) -> None: ...


@dataclass(frozen=True)
class Edge:
    """What every route needs from the composition root."""

    database: Database
    clock: Clock
    authorize: Authorizer
    public_base_url: str = ""
    # Signs the console's browser sessions (the API itself is stateless).
    session_secret: str = ""

    def base_url(self, request: Request) -> str:
        return self.public_base_url or str(request.base_url).rstrip("/")

    async def read(
        self, request: Request, roles: frozenset[str] | None, work: Callable[[Any], T]
    ) -> T:
        def run() -> T:
            self.authorize(request, roles)
            with self.database.unit_of_work(write=False) as session:
                return work(session)

        return await self._run(run)

    async def write(
        self, request: Request, roles: frozenset[str], work: Callable[[Any, Any], T]
    ) -> T:
        def run() -> T:
            self.authorize(request, roles)
            with self.database.unit_of_work() as session:
                return work(session, self.clock.now())

        return await self._run(run)

    async def _run(self, run: Callable[[], T]) -> T:
        # Embedded SQLite work is CPU-bound and sub-millisecond: handing it to a worker thread
        # costs more (GIL hand-offs) than it saves, and running it on the loop serialises
        # writers for free. A networked database waits on I/O, so it gets worker threads.
        if self.database.is_sqlite:
            return run()
        return await run_in_threadpool(run)


def json_response(
    content: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(orjson.dumps(content), status_code=status, media_type=JSON, headers=headers)


def error_body(status: int, code: str, reason: str, message: str | None = None) -> dict[str, Any]:
    body = {"code": code, "reason": reason, "status": str(status), "@type": "Error"}
    if message:
        body["message"] = message
    return body


def error_response(exc: DomainError) -> Response:
    status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return json_response(error_body(status, exc.code, exc.reason, exc.message), status, headers)


async def read_json(
    request: Request, allowed_types: tuple[str, ...] = ("application/json",)
) -> Any:
    media_type = (
        request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    )
    if media_type not in allowed_types:
        raise UnsupportedMediaType(
            "Unsupported media type",
            field="Content-Type",
            detail=f"use one of {', '.join(allowed_types)}",
        )
    raw = await request.body()
    try:
        payload = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput("Malformed JSON", detail=f"the body is not valid JSON ({exc})") from None
    # PostgreSQL text and jsonb cannot hold U+0000; refuse it everywhere, on every engine.
    if b"\\u0000" in raw and _has_nul(payload):
        raise InvalidInput("Invalid character", detail="strings must not contain U+0000")
    return payload


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any("\x00" in key or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def splice_list(href_base: str, items: list[tuple[str, str]]) -> bytes:
    """The JSON array of resources, built from stored JSON text without parsing it: each
    stored body is an object, so ``{"id":..,"href":..,`` goes in front of its first key.
    Ids are generated by us (UUIDs), so they need no escaping; the base URL does."""
    href_prefix = orjson.dumps(href_base + "/").decode()[:-1]
    parts = []
    for resource_id, body in items:
        rest = body[1:].lstrip()
        tail = "}" if rest.startswith("}") else "," + rest
        parts.append(f'{{"id":"{resource_id}","href":{href_prefix}{resource_id}"{tail}')
    return ("[" + ",".join(parts) + "]").encode()


def render(base_url: str, document: Document, fields: tuple[str, ...] | None) -> Document:
    document = {**document, "href": base_url + document["href"]}
    return select_fields(document, fields) if fields else document


def tmf_router(resources: tuple[Resource, ...], apis: tuple[Api, ...], edge: Edge) -> APIRouter:
    """One flat router for a room's resources and hubs (nesting routers slows matching)."""
    router = APIRouter()
    for resource in resources:
        add_resource_routes(router, resource, edge)
    for api in apis:
        add_hub_routes(router, api, edge)
    return router


def add_resource_routes(router: APIRouter, resource: Resource, edge: Edge) -> None:
    tags: list[str | Enum] = [resource.api.title]
    kind = resource.type_name
    body_schema = {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": f"#/components/schemas/{resource.api.name}.{kind}_Create"}
                }
            },
        }
    }

    @router.get(
        resource.path,
        tags=tags,
        summary=f"List or find {kind} objects",
        operation_id=f"list{kind}{resource.operation_suffix}",
    )
    async def list_resources(request: Request) -> Response:
        query = parse_list_query(request.query_params.multi_items())
        page = await edge.read(
            request, None, lambda s: service.list_resources(s, resource=resource, query=query)
        )
        href_base = edge.base_url(request) + resource.path
        headers = {"X-Total-Count": str(page.total), "X-Result-Count": str(len(page.items))}
        if query.fields:
            selected = [
                select_fields(
                    {"id": i, "href": f"{href_base}/{i}", **orjson.loads(b)}, query.fields
                )
                for i, b in page.items
            ]
            return json_response(selected, 200, headers)
        return Response(splice_list(href_base, page.items), media_type=JSON, headers=headers)

    @router.get(
        resource.path + "/{id}",
        summary=f"Retrieve a {kind} by id",
        operation_id=f"retrieve{kind}{resource.operation_suffix}",
        tags=tags,
    )
    async def retrieve(request: Request, id: str) -> Response:
        fields = (
            parse_fields(request.query_params["fields"])
            if "fields" in request.query_params
            else None
        )
        document = await edge.read(
            request, None, lambda s: service.get_resource(s, resource=resource, resource_id=id)
        )
        return json_response(render(edge.base_url(request), document, fields))

    @router.post(
        resource.path,
        tags=tags,
        summary=f"Create a {kind}",
        status_code=201,
        operation_id=f"create{kind}{resource.operation_suffix}",
        openapi_extra=body_schema,
    )
    async def create(request: Request) -> Response:
        payload = await read_json(request)
        key = request.headers.get("idempotency-key")
        document = await edge.write(
            request,
            resource.write_roles,
            lambda s, now: service.create_resource(
                s, resource=resource, payload=payload, now=now, idempotency_key=key
            ),
        )
        rendered = render(edge.base_url(request), document, None)
        return json_response(rendered, 201, {"Location": rendered["href"]})

    patch_schema = {
        "requestBody": {
            "required": True,
            "content": {
                media: {
                    "schema": {"$ref": f"#/components/schemas/{resource.api.name}.{kind}_Update"}
                }
                for media in PATCH_TYPES
            },
        }
    }

    @router.patch(
        resource.path + "/{id}",
        tags=tags,
        summary=f"Update a {kind} (JSON merge patch)",
        operation_id=f"patch{kind}{resource.operation_suffix}",
        openapi_extra=patch_schema,
    )
    async def patch(request: Request, id: str) -> Response:
        changes = await read_json(request, PATCH_TYPES)
        document = await edge.write(
            request,
            resource.write_roles,
            lambda s, now: service.patch_resource(
                s, resource=resource, resource_id=id, patch=changes, now=now
            ),
        )
        return json_response(render(edge.base_url(request), document, None))

    @router.delete(
        resource.path + "/{id}",
        tags=tags,
        summary=f"Delete a {kind}",
        status_code=204,
        operation_id=f"delete{kind}{resource.operation_suffix}",
    )
    async def remove(request: Request, id: str) -> Response:
        await edge.write(
            request,
            resource.write_roles,
            lambda s, now: service.delete_resource(s, resource=resource, resource_id=id, now=now),
        )
        return Response(status_code=204)


def add_hub_routes(router: APIRouter, api: Api, edge: Edge) -> None:
    tags: list[str | Enum] = [api.title]

    @router.post(
        api.base_path + "/hub",
        tags=tags,
        status_code=201,
        summary="Register a listener",
        operation_id=f"registerListener_{api.name}",
    )
    async def register(request: Request) -> Response:
        payload = await read_json(request)
        base = edge.base_url(request)
        subscription = await edge.write(
            request,
            frozenset({"admin", "csr", "billing", "noc", "readonly"}),
            lambda s, now: hub.register(s, api=api.name, payload=payload, base_url=base, now=now),
        )
        location = f"{base}{api.base_path}/hub/{subscription['id']}"
        return json_response(subscription, 201, {"Location": location})

    @router.delete(
        api.base_path + "/hub/{id}",
        tags=tags,
        status_code=204,
        summary="Unregister a listener",
        operation_id=f"unregisterListener_{api.name}",
    )
    async def unregister(request: Request, id: str) -> Response:
        await edge.write(
            request,
            frozenset({"admin", "csr", "billing", "noc", "readonly"}),
            lambda s, now: hub.unregister(s, api=api.name, subscription_id=id),
        )
        return Response(status_code=204)
