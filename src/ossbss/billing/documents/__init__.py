"""Invoice documents: a PDF per bill from an HTML template (Jinja2 + WeasyPrint), kept for
issued bills, rendered in the background after a bill run and downloadable through the bill's
``billDocument``."""

from ossbss.billing.documents.api import DOCUMENT_PATH, add_document_routes, document_href
from ossbss.billing.documents.background import (
    DocumentRenderer,
    render_on_demand,
    render_pending,
    render_pool,
)
from ossbss.billing.documents.formatting import format_money
from ossbss.billing.documents.render import render_html, render_pdf
from ossbss.billing.documents.service import (
    configure,
    invoice_view,
    render_bill_pdf,
    stored_pdf,
)
from ossbss.billing.documents.store import StoredDocument, get_document, store_document
from ossbss.billing.documents.view import InvoiceView, Operator

__all__ = [
    "DOCUMENT_PATH",
    "DocumentRenderer",
    "InvoiceView",
    "Operator",
    "StoredDocument",
    "add_document_routes",
    "configure",
    "document_href",
    "format_money",
    "get_document",
    "invoice_view",
    "render_bill_pdf",
    "render_html",
    "render_on_demand",
    "render_pdf",
    "render_pending",
    "render_pool",
    "store_document",
    "stored_pdf",
]
