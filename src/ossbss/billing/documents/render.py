"""InvoiceView -> HTML (Jinja2, autoescaped) -> PDF (WeasyPrint).

Both are pure functions of the view, so a process pool can render many invoices at once. The
template, the stylesheet and the font configuration are loaded once per process.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from ossbss.billing.documents.formatting import format_day, format_money, format_period, format_rate
from ossbss.billing.documents.view import InvoiceView, LineFacts

TEMPLATES = Path(__file__).parent / "templates"
PDF = "application/pdf"
# How a line's type reads on paper.
KINDS = {
    "recurring": "Recurring",
    "oneTime": "One-time",
    "usage": "Usage",
    "discount": "Discount",
    "adjustment": "Adjustment",
    "credit": "Credit",
}


@pass_context
def _money(context: Context, minor: int) -> str:
    view: InvoiceView = context["view"]
    return format_money(minor, view.currency, view.locale)


@pass_context
def _day(context: Context, value: date | datetime | None) -> str:
    return format_day(value, context["view"].locale)


@pass_context
def _rate(context: Context, rate: str) -> str:
    return format_rate(rate or "0", context["view"].locale)


@pass_context
def _period(context: Context, start: date | datetime | None, end: date | datetime | None) -> str:
    return format_period(start, end, context["view"].locale)


@pass_context
def _line_period(context: Context, line: LineFacts) -> str:
    """A line's period, printed only when it is not the bill's own (a prorated month)."""
    bill = context["view"].bill
    if (line.period_start, line.period_end) == (bill.period_start, bill.period_end):
        return ""
    return format_period(line.period_start, line.period_end, context["view"].locale)


# C0 control characters (but tab and newline) print as nothing and are not XML.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _printable(value: Any) -> Any:
    """Every printed value without control characters (kept as markup if it was markup)."""
    if isinstance(value, Markup):
        return Markup(_CONTROL.sub("", value))
    return _CONTROL.sub("", value) if isinstance(value, str) else value


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        # Names and descriptions come from customers and staff: never trusted as markup.
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_printable,
    )
    environment.filters.update(money=_money, day=_day, rate=_rate)
    environment.globals.update(period=_period, line_period=_line_period, kinds=KINDS)
    return environment


@cache
def _stylesheets() -> tuple[Any, Any]:
    """(user-agent sheet, invoice sheet), parsed once per process."""
    from weasyprint import CSS

    def sheet(name: str) -> Any:
        return CSS(string=(TEMPLATES / name).read_text(encoding="utf-8"))

    return sheet("ua.css"), sheet("invoice.css")


@cache
def _html_class() -> Any:
    from cssselect2 import ElementWrapper
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    user_agent, _ = _stylesheets()

    class InvoiceHTML(HTML):  # type: ignore[misc]
        def __init__(self, *, string: str, base_url: str) -> None:
            # The template is well-formed XHTML: the C XML parser reads it in microseconds,
            # where WeasyPrint's pure-Python HTML5 parser takes ~20 ms. Anything it refuses
            # (a control character in a name) goes the HTML5 way.
            try:
                root = ElementTree.fromstring(string)
            except ElementTree.ParseError:
                super().__init__(string=string, base_url=base_url)
                return
            self.base_url = base_url
            self.url_fetcher = URLFetcher()
            self.media_type = "print"
            self.wrapper_element = ElementWrapper.from_html_root(root, content_language=None)
            self.etree_element = self.wrapper_element.etree_element

        # WeasyPrint's own HTML5 user-agent sheet has hundreds of selectors matched against
        # every element; ours has the dozen the template uses (see templates/ua.css).
        def _ua_stylesheets(self, forms: bool = False) -> list[Any]:
            return [user_agent]

    return InvoiceHTML


@cache
def _fonts() -> Any:
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def render_html(view: InvoiceView) -> str:
    """The invoice as an HTML page (its stylesheet is applied by ``render_pdf``)."""
    template = _environment().get_template("invoice.html.j2")
    return template.render(view=view, op=view.operator, to=view.recipient, bill=view.bill)


def render_pdf(view: InvoiceView) -> bytes:
    """The invoice as a PDF document (A4)."""
    # WeasyPrint is imported on first use: it loads Pango, which only rendering needs.
    document = _html_class()(string=render_html(view), base_url=str(TEMPLATES))
    _, invoice = _stylesheets()
    pdf: bytes = document.write_pdf(stylesheets=[invoice], font_config=_fonts())
    return pdf
