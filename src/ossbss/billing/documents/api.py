"""The document of a bill over HTTP: the PDF the bill's TMF678 ``billDocument`` points to."""

from __future__ import annotations

from enum import Enum

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from ossbss.billing.documents.background import render_on_demand
from ossbss.billing.documents.render import PDF
from ossbss.billing.documents.service import stored_pdf
from ossbss.tmf import Edge

BASE_PATH = "/tmf-api/customerBillManagement/v4"
DOCUMENT_PATH = BASE_PATH + "/customerBill/{id}/document"


def document_href(bill_id: str) -> str:
    """Where a bill's document is downloaded (relative: prefix the base URL)."""
    return DOCUMENT_PATH.format(id=bill_id)


def add_document_routes(router: APIRouter, edge: Edge) -> None:
    tags: list[str | Enum] = ["TMF678 Customer Bill Management"]

    @router.get(
        DOCUMENT_PATH,
        tags=tags,
        summary="Download the bill's document (PDF)",
        operation_id="retrieveCustomerBillDocument",
        response_class=Response,
        responses={200: {"content": {PDF: {}}}},
    )
    async def download(request: Request, id: str) -> Response:
        # Authorised and looked up on the edge's read path (NotFound -> 404).
        pdf = await edge.read(request, None, lambda s: stored_pdf(s, bill_id=id))
        if pdf is None:
            # Rendering takes a fraction of a second of CPU: off the event loop.
            pdf = await run_in_threadpool(
                lambda: render_on_demand(edge.database, clock=edge.clock, bill_id=id)
            )
        headers = {"Content-Disposition": f'inline; filename="{id}.pdf"'}
        return Response(pdf, media_type=PDF, headers=headers)
