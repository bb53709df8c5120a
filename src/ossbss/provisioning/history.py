"""A TMF639 device's configuration history over HTTP, beside its resource:

- ``GET .../resource/{id}/configuration`` lists the backed-up versions of its running
  configuration (newest last);
- ``GET .../resource/{id}/configuration/{version}`` returns one version (XML), and
  ``?diffFrom=N`` the unified diff from version N to it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from ossbss import inventory
from ossbss.kernel.errors import InvalidInput, NotFound
from ossbss.kernel.time import format_datetime
from ossbss.provisioning import configs, planning
from ossbss.tmf import Edge, json_response

TAGS: list[Any] = ["TMF639 Resource Inventory: configuration history"]


def _address(session: Session, resource_id: str) -> str:
    device = inventory.get_resource(session, resource_id=resource_id)
    if device.get("@type") != "Device" and device.get("@baseType") != "Device":
        raise InvalidInput("Not a device", field="id", detail=f"{resource_id} is no Device")
    return planning.device_address(device)


def add_history_routes(router: APIRouter, edge: Edge) -> None:
    base = inventory.RESOURCE.path + "/{id}/configuration"

    @router.get(base, tags=TAGS, summary="Versions of a device's running configuration")
    async def history(request: Request, id: str) -> Response:
        def work(session: Session) -> list[dict[str, Any]]:
            address = _address(session, id)
            return [
                {
                    "version": version.version,
                    "takenAt": format_datetime(version.taken_at),
                    "sha256": version.sha256,
                    "reason": version.reason,
                    "lines": version.lines,
                    "device": {"id": id, "managementAddress": address},
                }
                for version in configs.versions(session, device_id=address)
            ]

        return json_response(await edge.read(request, None, work))

    @router.get(base + "/{version}", tags=TAGS, summary="One version, or a diff to it")
    async def version(request: Request, id: str, version: int) -> Response:
        diff_from = request.query_params.get("diffFrom")

        def work(session: Session) -> str:
            address = _address(session, id)
            known = {v.version for v in configs.versions(session, device_id=address)}
            wanted = [version] + ([int(diff_from)] if diff_from and diff_from.isdigit() else [])
            if diff_from and not diff_from.isdigit():
                raise InvalidInput("Invalid version", field="diffFrom", detail="a number")
            for number in wanted:
                if number not in known:
                    raise NotFound(f"No configuration version {number} of device {id}")
            if diff_from:
                return configs.diff(
                    session, device_id=address, from_version=int(diff_from), to_version=version
                )
            return configs.content(session, device_id=address, version=version)

        text = await edge.read(request, None, work)
        media = "text/x-diff" if diff_from else "application/xml"
        return Response(text, media_type=media)
