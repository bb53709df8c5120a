"""Invoice documents without a database: money printed exactly from minor units, the view's
grouping and tax sums, escaping, the draft watermark, and the PDF's printed text."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from ossbss.billing.documents import format_money, render_html, render_pdf
from ossbss.billing.documents.formatting import format_period, format_rate
from ossbss.billing.documents.sample import sample_lines, sample_view
from ossbss.billing.documents.view import taxes_per_rate


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize(
    ("minor", "currency", "printed"),
    [
        (123456, "EUR", "€1,234.56"),
        (5, "EUR", "€0.05"),
        (-500, "EUR", "-€5.00"),
        (0, "EUR", "€0.00"),
        (1234567, "JPY", "¥1,234,567"),
        (1234567, "BHD", "1,234.567"),
        # Beyond a float's 15-16 significant digits: still exact.
        (123456789012345678, "EUR", "€1,234,567,890,123,456.78"),
    ],
)
def test_money_is_printed_from_minor_units_at_the_currency_digits(
    minor: int, currency: str, printed: str
) -> None:
    assert printed in format_money(minor, currency)


def test_money_refuses_anything_but_integer_minor_units() -> None:
    with pytest.raises(TypeError):
        format_money(12.5, "EUR")  # type: ignore[arg-type]


def test_rates_and_half_open_periods_read_as_people_read_them() -> None:
    assert format_rate("20") == "20%"
    assert format_rate("5.50") == "5.5%"
    october = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
    assert format_period(*october) == "1 Oct 2026 \u2013 31 Oct 2026"
    one_day = (datetime(2026, 10, 5, tzinfo=UTC), datetime(2026, 10, 6, tzinfo=UTC))
    assert format_period(*one_day) == "5 Oct 2026"


def test_the_view_groups_lines_per_product_and_sums_taxes_per_rate() -> None:
    view = sample_view(lines=10)
    assert [group.title for group in view.groups] == ["Fibre 1000", "Mobile M", "TV Plus"]
    assert sum(len(group.lines) for group in view.groups) == 10
    assert sum(g.subtotal_minor for g in view.groups) == view.bill.amount_excl_tax_minor
    assert sum(t.base_minor for t in view.taxes) == view.bill.amount_excl_tax_minor
    assert sum(t.tax_minor for t in view.taxes) == view.bill.tax_minor
    assert [t.rate for t in view.taxes] == ["13.5", "23"]
    assert {(row.product, row.description) for row in view.usage} >= {("Mobile M", "Data")}
    assert view.reference == "INV-2026-000042"


def test_equal_rates_written_differently_are_one_tax_row() -> None:
    lines = sample_lines(4)  # rates 13.5, 23, 23, 23
    lines[1] = replace(lines[1], tax_rate="23.0")
    rows = taxes_per_rate(lines)
    assert len(rows) == 2
    assert rows[1].base_minor == sum(line.amount_minor for line in lines[1:])


def test_customer_text_is_escaped_in_the_html() -> None:
    html = render_html(sample_view(customer_name="<script>alert(1)</script> & Co"))
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html


def test_the_pdf_prints_number_customer_totals_due_date_and_payment_reference() -> None:
    view = sample_view(customer_name="Ada Lovelace")
    pdf = render_pdf(view)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "INV-2026-000042" in text
    assert "Ada Lovelace" in text
    assert "Due date 15 Nov 2026" in text
    assert f"Total excl. tax {format_money(view.bill.amount_excl_tax_minor, 'EUR')}" in text
    assert f"Total incl. tax {format_money(view.bill.amount_incl_tax_minor, 'EUR')}" in text
    assert "IBAN IE29AIBK93115212345678" in text
    assert "Reference: INV-2026-000042" in text
    assert "DRAFT" not in text


def test_a_draft_carries_a_watermark_and_yen_have_no_decimals() -> None:
    text = pdf_text(render_pdf(sample_view(state="new", currency="JPY")))
    assert "DRAFT" in text
    assert "Invoice (draft)" in text
    assert "¥3,999" in text
    assert "¥39.99" not in text


def test_a_name_the_xml_parser_refuses_still_renders() -> None:
    # A control character is neither printable nor XML: it is left out.
    text = pdf_text(render_pdf(sample_view(customer_name="Zo\u00eb\x01 Smith")))
    assert "Zo\u00eb Smith" in text
