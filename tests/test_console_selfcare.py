"""The self-care portal over HTTP: a subscriber sees only their own products, bills, usage and
tickets (another subscriber's is a 404), pays a bill by card through the gateway (once, even
when the form is sent twice; a declined card changes nothing), changes plan by an order and
opens and notes a ticket. Every POST needs its CSRF token; staff pages refuse a subscriber."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

import ordering_world
import selfcare_world
from console_helpers import csrf, csrf_of, sign_in, staff_user
from ossbss import bootstrap
from ossbss.payment.models import Payment
from payment_world import assert_ledger_matches, balance, bill
from selfcare_world import ADA, ADA_BILL, BOB, Subscribers
from tickets_world import TICKETS


@pytest.fixture
def subscribers(client: TestClient, platform: bootstrap.Platform) -> Subscribers:
    return selfcare_world.build(client, platform)


def _payments(platform: bootstrap.Platform, account_id: str) -> list[tuple[str, int]]:
    with platform.database.unit_of_work(write=False) as session:
        rows = session.execute(
            select(Payment.status, Payment.amount_minor).where(
                Payment.billing_account_id == account_id
            )
        )
        return [(str(status), int(amount)) for status, amount in rows]


def _form(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert match, f"no {name} in the page"
    return match.group(1)


def _pay_form(client: TestClient, bill_id: str, **fields: str) -> dict[str, str]:
    page = client.get(f"/my/bills/{bill_id}")
    assert page.status_code == 200, page.text
    return {
        "csrf_token": csrf_of(page.text),
        "payment_key": _form(page.text, "payment_key"),
        "card": "tok_visa_4242",
        "amount": "",
        **fields,
    }


def test_the_overview_shows_the_subscribers_products_balance_and_usage(
    client: TestClient, subscribers: Subscribers
) -> None:
    sign_in(client, ADA)
    page = client.get("/my")
    assert page.status_code == 200
    assert 'class="portal"' in page.text
    assert "Fibre 300 Home" in page.text
    assert "Working" in page.text  # the product's status, in plain words
    assert "€49.99" in page.text  # balance and what is due
    assert 'id="usage-by-day"' in page.text
    chart = re.search(r'id="usage-by-day" data-chart=\'([^\']+)\'', page.text)
    assert chart
    data = json.loads(chart.group(1))
    megabytes = dict(zip(data["labels"], data["datasets"][0]["data"], strict=True))
    assert (megabytes["16 Jan"], megabytes["17 Jan"], megabytes["18 Jan"]) == (150, 0, 250)
    assert data["labels"][0] == "01 Jan"
    assert data["labels"][-1] == "19 Jan"  # the month so far
    assert "Bob" not in page.text
    bills = client.get("/my/bills")
    assert "ADA-1" in bills.text
    assert "BOB-1" not in bills.text


def test_a_bill_shows_its_lines_and_its_pdf(client: TestClient, subscribers: Subscribers) -> None:
    sign_in(client, ADA)
    page = client.get(f"/my/bills/{subscribers.ada_bill}")
    assert page.status_code == 200
    assert "Bill ADA-1" in page.text
    assert "To pay" in page.text
    pdf = client.get(f"/my/bills/{subscribers.ada_bill}/document")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_another_subscribers_bill_pdf_and_ticket_are_not_found(
    client: TestClient, platform: bootstrap.Platform, subscribers: Subscribers
) -> None:
    sign_in(client, ADA)
    for url in (
        f"/my/bills/{subscribers.bob_bill}",
        f"/my/bills/{subscribers.bob_bill}/document",
        f"/my/tickets/{subscribers.bob_ticket}",
        "/my/bills/no-such-bill",
    ):
        answer = client.get(url)
        assert answer.status_code == 404, url
        assert "25.00" not in answer.text
        assert "Bob's line" not in answer.text
        assert "Not found" in answer.text or "not found" in answer.text
    token = csrf(client, "/my")
    answer = client.post(
        f"/my/bills/{subscribers.bob_bill}/pay",
        data={"csrf_token": token, "payment_key": "k" * 22, "card": "tok_visa_4242"},
    )
    assert answer.status_code == 404
    note = client.post(
        f"/my/tickets/{subscribers.bob_ticket}/notes", data={"csrf_token": token, "text": "hi"}
    )
    assert note.status_code == 404
    assert _payments(platform, subscribers.bob_account) == []
    # Bob sees his own bill (the 404 above is about whose it is).
    sign_in(client, BOB)
    assert client.get(f"/my/bills/{subscribers.bob_bill}").status_code == 200
    assert client.get(f"/my/bills/{subscribers.ada_bill}").status_code == 404


def test_a_subscriber_pays_a_bill_by_card(
    client: TestClient, platform: bootstrap.Platform, subscribers: Subscribers
) -> None:
    sign_in(client, ADA)
    answer = client.post(
        f"/my/bills/{subscribers.ada_bill}/pay",
        data=_pay_form(client, subscribers.ada_bill, amount="10.00"),
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert bill(platform, subscribers.ada_bill) == ("partiallyPaid", ADA_BILL - 1000)
    page = client.get(f"/my/bills/{subscribers.ada_bill}")
    assert "your payment was received" in page.text
    assert "Partly paid" in page.text
    client.post(
        f"/my/bills/{subscribers.ada_bill}/pay", data=_pay_form(client, subscribers.ada_bill)
    )
    assert bill(platform, subscribers.ada_bill) == ("settled", 0)
    assert balance(platform, subscribers.ada_account) == 0
    assert _payments(platform, subscribers.ada_account) == [
        ("done", 1000),
        ("done", ADA_BILL - 1000),
    ]
    assert_ledger_matches(platform, subscribers.ada_account)
    assert "This bill is paid" in client.get(f"/my/bills/{subscribers.ada_bill}").text
    assert "€0.00" in client.get("/my").text


def test_the_same_payment_form_sent_twice_pays_once(
    client: TestClient, platform: bootstrap.Platform, subscribers: Subscribers
) -> None:
    sign_in(client, ADA)
    for amount in ("5.00", ""):  # a partial payment (bill still open), then the whole bill
        form = _pay_form(client, subscribers.ada_bill, amount=amount)
        first = client.post(f"/my/bills/{subscribers.ada_bill}/pay", data=form)
        again = client.post(f"/my/bills/{subscribers.ada_bill}/pay", data=form)
        assert first.status_code == again.status_code == 200
        assert "nothing was charged again" in again.text
    assert _payments(platform, subscribers.ada_account) == [("done", 500), ("done", 4499)]
    assert bill(platform, subscribers.ada_bill) == ("settled", 0)
    assert_ledger_matches(platform, subscribers.ada_account)


def test_a_declined_card_says_so_and_applies_nothing(
    client: TestClient, platform: bootstrap.Platform, subscribers: Subscribers
) -> None:
    sign_in(client, ADA)
    answer = client.post(
        f"/my/bills/{subscribers.ada_bill}/pay",
        data=_pay_form(client, subscribers.ada_bill, card="tok_declined"),
    )
    assert answer.status_code == 402
    assert "Your card was declined" in answer.text
    assert "Nothing was charged" in answer.text
    assert bill(platform, subscribers.ada_bill) == ("sent", ADA_BILL)
    assert balance(platform, subscribers.ada_account) == ADA_BILL
    assert _payments(platform, subscribers.ada_account) == [("denied", ADA_BILL)]
    assert_ledger_matches(platform, subscribers.ada_account)


def test_an_amount_beyond_the_bill_or_malformed_is_refused(
    client: TestClient, platform: bootstrap.Platform, subscribers: Subscribers
) -> None:
    sign_in(client, ADA)
    for amount in ("100", "0", "-1", "abc", "1.234"):
        answer = client.post(
            f"/my/bills/{subscribers.ada_bill}/pay",
            data=_pay_form(client, subscribers.ada_bill, amount=amount),
        )
        assert answer.status_code == 400, amount
        assert "Invalid amount" in answer.text
        assert f'value="{amount}"' in answer.text  # what was typed stays
    assert bill(platform, subscribers.ada_bill) == ("sent", ADA_BILL)
    assert _payments(platform, subscribers.ada_account) == []


def test_paying_without_the_csrf_token_is_refused_and_pays_nothing(
    client: TestClient, platform: bootstrap.Platform, subscribers: Subscribers
) -> None:
    sign_in(client, ADA)
    form = _pay_form(client, subscribers.ada_bill)
    del form["csrf_token"]
    answer = client.post(f"/my/bills/{subscribers.ada_bill}/pay", data=form)
    assert answer.status_code == 403
    form["csrf_token"] = "forged"
    assert client.post(f"/my/bills/{subscribers.ada_bill}/pay", data=form).status_code == 403
    assert bill(platform, subscribers.ada_bill) == ("sent", ADA_BILL)
    assert _payments(platform, subscribers.ada_account) == []


def test_staff_and_subscribers_keep_to_their_own_pages(
    client: TestClient, platform: bootstrap.Platform, subscribers: Subscribers
) -> None:
    sign_in(client, staff_user(platform, "admin"))
    for url in ("/my", "/my/bills", f"/my/bills/{subscribers.ada_bill}", "/my/tickets"):
        assert client.get(url).status_code == 403, url
    sign_in(client, ADA)
    staff_pages = [
        route.path
        for route in client.app.routes  # type: ignore[attr-defined]
        if type(route).__name__ == "ConsoleRoute"
        and "GET" in getattr(route, "methods", ())
        and "{" not in route.path
        and not route.path.startswith("/my")
        and route.path not in ("/", "/login")
    ]
    for url in staff_pages:  # every staff page the console has
        assert client.get(url, follow_redirects=False).status_code == 403, url
    # Without a session the portal sends to its own sign-in page.
    client.cookies.clear()
    answer = client.get("/my/bills", follow_redirects=False)
    assert answer.headers["location"].startswith("/my/login?next=")


def test_a_subscriber_changes_plan_with_an_order(
    client: TestClient, platform: bootstrap.Platform, subscribers: Subscribers
) -> None:
    sign_in(client, ADA)
    page = client.get("/my/plan")
    assert page.status_code == 200
    assert "Fibre 1000 Home" in page.text
    assert 'value="' + subscribers.world.offering_id + '"' not in page.text  # no category
    form = {
        "csrf_token": csrf_of(page.text),
        "order_key": _form(page.text, "order_key"),
        "product_id": subscribers.ada_product,
        "offering_id": subscribers.faster_offering,
    }
    assert client.post("/my/plan", data=form, follow_redirects=False).status_code == 303
    assert client.post("/my/plan", data=form, follow_redirects=False).status_code == 303
    modify = [
        order
        for order in selfcare_world.orders_of(client, subscribers.ada_customer)
        if order["productOrderItem"][0]["action"] == "modify"
    ]
    assert len(modify) == 1  # the form sent twice is one order
    item = modify[0]["productOrderItem"][0]
    assert item["productOffering"]["id"] == subscribers.faster_offering
    ordering_world.settle(platform)
    page = client.get("/my/plan")
    assert "Done" in page.text
    assert "Plan change to Fibre 1000 Home" in page.text
    product = client.get(f"{ordering_world.PRODUCTS}/{subscribers.ada_product}").json()
    assert product["productOffering"]["id"] == subscribers.faster_offering


def test_a_plan_change_to_an_offering_outside_the_choices_is_refused(
    client: TestClient, subscribers: Subscribers
) -> None:
    sign_in(client, ADA)
    page = client.get("/my/plan")
    form = {
        "csrf_token": csrf_of(page.text),
        "order_key": _form(page.text, "order_key"),
        "product_id": subscribers.ada_product,
        "offering_id": subscribers.world.offering_id,
    }
    answer = client.post("/my/plan", data=form)
    assert answer.status_code == 400
    assert "Choose a plan" in answer.text
    del form["csrf_token"]
    assert client.post("/my/plan", data=form).status_code == 403
    assert [
        o
        for o in selfcare_world.orders_of(client, subscribers.ada_customer)
        if o["productOrderItem"][0]["action"] == "modify"
    ] == []


def test_a_subscriber_opens_follows_and_notes_a_ticket(
    client: TestClient, platform: bootstrap.Platform, subscribers: Subscribers
) -> None:
    sign_in(client, ADA)
    page = client.get(f"/my/tickets/new?product={subscribers.ada_product}")
    assert page.status_code == 200
    assert "Fibre 300 Home" in page.text
    form = {
        "csrf_token": csrf_of(page.text),
        "product_id": subscribers.ada_product,
        "severity": "major",
        "name": "Slow in the evening",
        "description": "Speed drops to 5 Mbit/s after 8 pm",
    }
    empty = client.post("/my/tickets/new", data={**form, "description": ""})
    assert empty.status_code == 400
    assert "Describe the problem" in empty.text
    created = client.post("/my/tickets/new", data=form, follow_redirects=False)
    assert created.status_code == 303
    url = created.headers["location"]
    ticket_id = url.rsplit("/", 1)[1]
    document = client.get(f"{TICKETS}/{ticket_id}").json()
    assert document["relatedParty"][0]["id"] == subscribers.ada_customer
    assert document["relatedEntity"][0]["id"] == subscribers.ada_product
    listing = client.get("/my/tickets")
    assert "Slow in the evening" in listing.text
    assert "Bob's line" not in listing.text
    token = csrf(client, url)
    noted = client.post(f"{url}/notes", data={"csrf_token": token, "text": "Still slow tonight"})
    assert noted.status_code == 200
    assert "Still slow tonight" in noted.text
    assert client.post(f"{url}/notes", data={"text": "no token"}).status_code == 403
    # Another subscriber's product cannot be the subject of a ticket.
    answer = client.post("/my/tickets/new", data={**form, "product_id": "not-ada-s-product"})
    assert answer.status_code == 404
    sign_in(client, BOB)
    assert client.get(url).status_code == 404
    with platform.database.unit_of_work(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 0
