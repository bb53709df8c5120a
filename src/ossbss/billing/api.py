"""billing over HTTP: TMF678 Customer Bill Management (customerBill, appliedCustomerBillingRate,
customerBillOnDemand, hub) and our documented extensions (docs/api.md): credit notes
(POST customerBill/{id}/creditNote), adjustments (billingAdjustment), bill runs (billRun:
list, start, approve, comparison with the previous cycle)."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ossbss.billing import bills_tmf, credit, on_demand, runs_view
from ossbss.billing.adjustments import add_adjustment
from ossbss.billing.compare import compare_run, comparison_document
from ossbss.billing.documents import add_document_routes
from ossbss.billing.models import BillLine
from ossbss.billing.runs_api import add_run_routes
from ossbss.billing.tmf_views import API_NAME, BASE_PATH, money, render_bill
from ossbss.kernel.errors import InvalidInput
from ossbss.kernel.money import UnknownCurrency, decimal_from_json, minor_unit_exponent
from ossbss.kernel.time import format_datetime
from ossbss.tmf import Api, Edge, json_response, paging
from ossbss.tmf.api import PATCH_TYPES, add_hub_routes, read_json
from ossbss.tmf.query import parse_fields, select_fields

CUSTOMER_BILL_API = Api(
    name=API_NAME,
    spec_file="TMF678-CustomerBill-v4.0.0.swagger.json",
    title="TMF678 Customer Bill Management",
)
READ_ROLES = frozenset({"admin", "billing", "csr", "readonly"})
WRITE_ROLES = frozenset({"admin", "billing"})
MAX_LIMIT = 1000


def _fields(request: Request) -> tuple[str, ...] | None:
    raw = request.query_params.get("fields")
    return parse_fields(raw) if raw else None


def _absolute(document: dict[str, Any], base_url: str, fields: tuple[str, ...] | None) -> Any:
    """Every relative href (and attachment url) of the document made absolute."""
    document = _absolute_links(document, base_url)
    return select_fields(document, fields) if fields else document


def _absolute_links(node: Any, base_url: str) -> Any:
    if isinstance(node, dict):
        return {
            key: base_url + value
            if key in ("href", "url") and isinstance(value, str) and value.startswith("/")
            else _absolute_links(value, base_url)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_absolute_links(item, base_url) for item in node]
    return node


def _page(request: Request, items: list[dict[str, Any]], total: int, base_url: str) -> Response:
    fields = _fields(request)
    page = [_absolute(item, base_url, fields) for item in items]
    headers = {"X-Total-Count": str(total), "X-Result-Count": str(len(page))}
    return json_response(page, 200, headers)


def money_minor(value: Any, *, field: str, currency: str | None = None) -> tuple[int, str]:
    """A TMF Money {unit, value} as exact minor units; more digits than the currency has is
    an error, never a rounding."""
    if not isinstance(value, dict):
        raise InvalidInput("Invalid amount", field=field, detail="a Money {unit, value}")
    unit = value.get("unit", currency)
    if not isinstance(unit, str):
        raise InvalidInput("Invalid amount", field=f"{field}.unit", detail="a currency code")
    try:
        exponent = minor_unit_exponent(unit)
    except UnknownCurrency as exc:
        raise InvalidInput("Invalid currency", field=f"{field}.unit", detail=str(exc)) from None
    if currency is not None and unit != currency:
        raise InvalidInput(
            "Wrong currency", field=f"{field}.unit", detail=f"the bill is in {currency}"
        )
    amount = decimal_from_json(value.get("value"), field=f"{field}.value").scaleb(exponent)
    if amount != amount.to_integral_value():
        raise InvalidInput(
            "Invalid amount", field=f"{field}.value", detail=f"{unit} has {exponent} decimals"
        )
    return int(amount), unit


def _credit_from_body(session: Session, bill_id: str, payload: Any, now: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise InvalidInput("Invalid body", detail="the request body must be a JSON object")
    original = bills_tmf.get_bill(session, bill_id=bill_id)
    currency = original["taxIncludedAmount"]["unit"]
    reason = payload.get("reason") or payload.get("description")
    if not isinstance(reason, str):
        raise InvalidInput("A credit note needs a reason", field="reason")
    amount = None
    lines = None
    if "lines" in payload:
        if not isinstance(payload["lines"], list) or not payload["lines"]:
            raise InvalidInput("Invalid lines", field="lines", detail="a non-empty list")
        lines = {}
        for index, item in enumerate(payload["lines"]):
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                raise InvalidInput("Invalid line", field=f"lines[{index}].id")
            lines[item["id"]] = money_minor(
                item.get("amount"), field=f"lines[{index}].amount", currency=currency
            )[0]
    elif "amount" in payload:
        amount = money_minor(payload["amount"], field="amount", currency=currency)[0]
    else:
        raise InvalidInput("Give an amount or lines", field="amount")
    note = credit.credit_note(
        session, bill_id=bill_id, amount_minor=amount, lines=lines, reason=reason, now=now
    )
    return render_bill(note, _lines_of(session, note.id))


def _valid(payload: Any, definition: str) -> Any:
    """The body as the TMF678 spec allows it (types, enums), or 400 naming the field."""
    if not isinstance(payload, dict):
        raise InvalidInput("Invalid body", detail="the request body must be a JSON object")
    CUSTOMER_BILL_API.spec.validate(definition, payload, partial=definition.endswith("_Update"))
    return payload


def _lines_of(session: Session, bill_id: str) -> list[BillLine]:
    return list(session.scalars(select(BillLine).where(BillLine.bill_id == bill_id)))


def _adjustment_from_body(session: Session, payload: Any, now: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise InvalidInput("Invalid body", detail="the request body must be a JSON object")
    reference = payload.get("billingAccount")
    if not isinstance(reference, dict) or not isinstance(reference.get("id"), str):
        raise InvalidInput("Missing billingAccount", field="billingAccount.id")
    amount, currency = money_minor(payload.get("amount"), field="amount")
    reason = payload.get("reason")
    if not isinstance(reason, str):
        raise InvalidInput("An adjustment needs a reason", field="reason")
    source = payload.get("source", "manual")
    if not isinstance(source, str):
        raise InvalidInput("Invalid source", field="source")
    tax_rate = payload.get("taxRate", 0)
    if isinstance(tax_rate, bool) or not isinstance(tax_rate, int | float | str):
        raise InvalidInput("Invalid tax rate", field="taxRate")
    pending = add_adjustment(
        session,
        billing_account_id=reference["id"],
        amount_minor=amount,
        currency=currency,
        reason=reason,
        source=source,
        tax_rate=str(tax_rate),
        now=now,
    )
    return {
        "id": pending.id,
        "href": f"{BASE_PATH}/billingAdjustment/{pending.id}",
        "billingAccount": {"id": pending.billing_account_id},
        "amount": money(pending.amount_minor, pending.currency),
        "taxRate": str(pending.tax_rate),
        "reason": reason,
        "source": pending.source,
        "state": "pending",
        "creationDate": format_datetime(pending.created_at),
        "@type": "BillingAdjustment",
    }


def router(edge: Edge) -> APIRouter:
    routes = APIRouter()
    tags: list[str | Enum] = [CUSTOMER_BILL_API.title]

    def get(path: str, operation_id: str, summary: str) -> Callable[[Any], Any]:
        return routes.get(BASE_PATH + path, tags=tags, operation_id=operation_id, summary=summary)

    def post(path: str, operation_id: str, summary: str, status: int) -> Callable[[Any], Any]:
        return routes.post(
            BASE_PATH + path,
            tags=tags,
            operation_id=operation_id,
            summary=summary,
            status_code=status,
        )

    @get("/customerBill", "listCustomerBill", "List or find customerBill objects")
    async def list_bills(request: Request) -> Response:
        offset, limit = paging(request.query_params)
        params = dict(request.query_params)
        page = await edge.read(
            request,
            READ_ROLES,
            lambda s: bills_tmf.list_bills(s, params=params, offset=offset, limit=limit),
        )
        return _page(request, page.items, page.total, edge.base_url(request))

    @get("/customerBill/{id}", "retrieveCustomerBill", "Retrieve a customerBill by id")
    async def get_bill(request: Request, id: str) -> Response:
        document = await edge.read(request, READ_ROLES, lambda s: bills_tmf.get_bill(s, bill_id=id))
        return json_response(_absolute(document, edge.base_url(request), _fields(request)))

    @routes.patch(
        BASE_PATH + "/customerBill/{id}",
        tags=tags,
        operation_id="patchCustomerBill",
        summary="Change a customerBill's state (dispute: onHold and back); nothing else changes",
    )
    async def patch_bill(request: Request, id: str) -> Response:
        changes = await read_json(request, PATCH_TYPES)
        document = await edge.write(
            request,
            WRITE_ROLES,
            lambda s, now: bills_tmf.patch_bill(
                s, bill_id=id, patch=_valid(changes, "CustomerBill_Update"), now=now
            ),
        )
        return json_response(_absolute(document, edge.base_url(request), None))

    @post(
        "/customerBill/{id}/creditNote",
        "createCreditNote",
        "Credit an issued bill (extension): the credit note, a customerBill",
        201,
    )
    async def create_credit_note(request: Request, id: str) -> Response:
        payload = await read_json(request)
        document = await edge.write(
            request, WRITE_ROLES, lambda s, now: _credit_from_body(s, id, payload, now)
        )
        rendered = _absolute(document, edge.base_url(request), None)
        return json_response(rendered, 201, {"Location": rendered["href"]})

    @get(
        "/appliedCustomerBillingRate",
        "listAppliedCustomerBillingRate",
        "List or find appliedCustomerBillingRate objects",
    )
    async def list_lines(request: Request) -> Response:
        offset, limit = paging(request.query_params)
        params = dict(request.query_params)
        page = await edge.read(
            request,
            READ_ROLES,
            lambda s: bills_tmf.list_lines(s, params=params, offset=offset, limit=limit),
        )
        return _page(request, page.items, page.total, edge.base_url(request))

    @get(
        "/appliedCustomerBillingRate/{id}",
        "retrieveAppliedCustomerBillingRate",
        "Retrieve an appliedCustomerBillingRate by id",
    )
    async def get_line(request: Request, id: str) -> Response:
        document = await edge.read(request, READ_ROLES, lambda s: bills_tmf.get_line(s, line_id=id))
        return json_response(_absolute(document, edge.base_url(request), _fields(request)))

    @get("/customerBillOnDemand", "listCustomerBillOnDemand", "List customerBillOnDemand objects")
    async def list_on_demand(request: Request) -> Response:
        offset, limit = paging(request.query_params)
        items, total = await edge.read(
            request,
            READ_ROLES,
            lambda s: on_demand.list_requests(s, offset=offset, limit=limit),
        )
        return _page(request, items, total, edge.base_url(request))

    @get(
        "/customerBillOnDemand/{id}",
        "retrieveCustomerBillOnDemand",
        "Retrieve a customerBillOnDemand by id",
    )
    async def get_on_demand(request: Request, id: str) -> Response:
        document = await edge.read(
            request, READ_ROLES, lambda s: on_demand.get_request(s, request_id=id)
        )
        return json_response(_absolute(document, edge.base_url(request), _fields(request)))

    @post(
        "/customerBillOnDemand",
        "createCustomerBillOnDemand",
        "Bill an account now (done with its customerBill, or terminatedWithError and why)",
        201,
    )
    async def create_on_demand(request: Request) -> Response:
        payload = await read_json(request)
        document = await edge.write(
            request,
            WRITE_ROLES,
            lambda s, now: on_demand.request_bill(
                s, payload=_valid(payload, "CustomerBillOnDemand_Create"), now=now
            ),
        )
        rendered = _absolute(document, edge.base_url(request), None)
        return json_response(rendered, 201, {"Location": rendered["href"]})

    @post(
        "/billingAdjustment",
        "createBillingAdjustment",
        "Record an adjustment for the account's next bill (extension)",
        201,
    )
    async def create_adjustment(request: Request) -> Response:
        payload = await read_json(request)
        document = await edge.write(
            request, WRITE_ROLES, lambda s, now: _adjustment_from_body(s, payload, now)
        )
        return json_response(_absolute(document, edge.base_url(request), None), 201)

    @get("/billRun", "listBillRun", "List bill runs (extension)")
    async def list_runs(request: Request) -> Response:
        offset, limit = paging(request.query_params)
        state = request.query_params.get("state")
        items, total = await edge.read(
            request,
            READ_ROLES,
            lambda s: runs_view.list_runs(s, state=state, offset=offset, limit=limit),
        )
        return _page(request, items, total, edge.base_url(request))

    @get("/billRun/{id}", "retrieveBillRun", "Retrieve a bill run (extension)")
    async def get_run(request: Request, id: str) -> Response:
        document = await edge.read(request, READ_ROLES, lambda s: runs_view.get_run(s, run_id=id))
        return json_response(_absolute(document, edge.base_url(request), _fields(request)))

    @get(
        "/billRun/{id}/comparison",
        "compareBillRun",
        "Each bill of the run against the account's previous cycle bill (extension)",
    )
    async def compare(request: Request, id: str) -> Response:
        account_id = request.query_params.get("billingAccount.id")
        comparisons = await edge.read(
            request,
            READ_ROLES,
            lambda s: [
                comparison_document(c) for c in compare_run(s, run_id=id, account_id=account_id)
            ],
        )
        offset, limit = paging(request.query_params)
        page = comparisons[offset : offset + limit]
        headers = {"X-Total-Count": str(len(comparisons)), "X-Result-Count": str(len(page))}
        return json_response(page, 200, headers)

    add_run_routes(routes, edge, tags)
    add_hub_routes(routes, CUSTOMER_BILL_API, edge)
    add_document_routes(routes, edge)
    return routes
