"""The console's customer actions over HTTP, signed in as staff: onboarding, the guided
order, suspend/resume, payments, bill adjustments, tickets. Each works, refuses a bad value
with a clear error and changes nothing, and refuses a user without the role or a form
without its CSRF token (403, nothing changed)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

import billing_rows
import ordering_world as ow
from console_helpers import csrf, sign_in, staff_user
from ossbss import billing, bootstrap, product_inventory
from ossbss.billing.models import Bill
from ossbss.console.pages import customer_action_forms as forms
from ossbss.kernel.errors import InvalidInput
from payment_world import balance, issue_bill
from payment_world import bill as bill_state
from tickets_world import TICKETS

PARTY = "/tmf-api/party/v4/individual"
CUSTOMERS = "/tmf-api/customerManagement/v4/customer"
ACCOUNTS = "/tmf-api/accountManagement/v4/billingAccount"
CYCLES = "/tmf-api/accountManagement/v4/billingCycleSpecification"
PAYMENTS = "/tmf-api/paymentManagement/v4/payment"


def total(client: TestClient, path: str, **params: str) -> int:
    response = client.get(path, params={"limit": "1", **params})
    assert response.status_code == 200, response.text
    return int(response.headers["X-Total-Count"])


def post(client: TestClient, url: str, data: dict[str, str], *, token: bool = True) -> Any:
    """A form POST as the browser sends it (the session's CSRF token unless ``token`` is off)."""
    fields = {**data, "csrf_token": csrf(client, "/customers/new")} if token else data
    return client.post(url, data=fields, follow_redirects=False)


def as_role(platform: bootstrap.Platform, client: TestClient, role: str) -> TestClient:
    return sign_in(client, staff_user(platform, role))


def refused(response: Any) -> None:
    assert response.status_code == 403, response.text


# -- onboarding -------------------------------------------------------------------------------

PERSON = {
    "givenName": "Grace",
    "familyName": "Hopper",
    "email": "grace.hopper@example.com",
    "phone": "+353 87 123 4567",
    "street": "12 Harbour Road",
    "postCode": "D02 X285",
    "city": "Dublin",
    "country": "IE",
}


def counts(client: TestClient) -> tuple[int, int, int]:
    return total(client, PARTY), total(client, ACCOUNTS), total(client, CUSTOMERS)


@pytest.fixture
def cycle_id(client: TestClient) -> str:
    body = {"name": "Monthly on the 5th", "frequency": "monthly", "billingDateShift": 5}
    response = client.post(CYCLES, json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_a_csr_onboards_a_customer_in_one_go(
    platform: bootstrap.Platform, client: TestClient, cycle_id: str
) -> None:
    as_role(platform, client, "csr")
    form = client.get("/customers/new")
    assert form.status_code == 200
    assert "Monthly on the 5th" in form.text

    response = post(client, "/customers/new", {**PERSON, "cycle": cycle_id})

    assert response.status_code == 303, response.text
    customer_id = response.headers["location"].removeprefix("/customers/")
    customer = client.get(f"{CUSTOMERS}/{customer_id}").json()
    assert customer["name"] == "Grace Hopper"
    assert customer["status"] == "Active"
    person = client.get(f"{PARTY}/{customer['engagedParty']['id']}").json()
    media = {m["mediumType"]: m["characteristic"] for m in person["contactMedium"]}
    assert media["email"]["emailAddress"] == "grace.hopper@example.com"
    assert media["phone"]["phoneNumber"] == "+353871234567"  # normalised by the party rules
    assert media["postalAddress"]["city"] == "Dublin"
    (account_ref,) = customer["account"]
    billing_account = client.get(f"{ACCOUNTS}/{account_ref['id']}").json()
    assert billing_account["billStructure"]["cycleSpecification"]["id"] == cycle_id
    assert billing_account["relatedParty"][0]["id"] == person["id"]


def test_a_bad_contact_is_shown_on_the_form_and_nothing_is_created(
    platform: bootstrap.Platform, client: TestClient, cycle_id: str
) -> None:
    as_role(platform, client, "csr")
    before = counts(client)

    response = post(client, "/customers/new", {**PERSON, "phone": "12", "cycle": cycle_id})

    assert response.status_code == 400
    assert 'role="alert"' in response.text
    assert "phone" in response.text.lower()
    assert 'name="phone" type="tel" value="12"' in response.text
    assert 'value="grace.hopper@example.com"' in response.text  # what was typed stays
    missing = post(client, "/customers/new", {**PERSON, "email": "", "cycle": cycle_id})
    assert missing.status_code == 400
    assert "E-mail is required" in missing.text
    assert counts(client) == before


def test_an_unknown_bill_cycle_rolls_the_party_back(
    platform: bootstrap.Platform, client: TestClient, cycle_id: str
) -> None:
    as_role(platform, client, "csr")
    before = counts(client)

    response = post(client, "/customers/new", {**PERSON, "cycle": "no-such-cycle"})

    assert response.status_code == 400
    assert "bill cycle" in response.text.lower()
    assert counts(client) == before  # the individual created first is gone too


def test_only_a_csr_onboards(
    platform: bootstrap.Platform, client: TestClient, cycle_id: str
) -> None:
    before = counts(client)
    for role in ("readonly", "billing"):
        as_role(platform, client, role)
        refused(post(client, "/customers/new", {**PERSON, "cycle": cycle_id}))
    assert counts(client) == before


def test_an_onboarding_form_without_its_csrf_token_is_refused(
    platform: bootstrap.Platform, client: TestClient, cycle_id: str
) -> None:
    as_role(platform, client, "csr")
    before = counts(client)
    refused(post(client, "/customers/new", {**PERSON, "cycle": cycle_id}, token=False))
    forged = client.post(
        "/customers/new",
        data={**PERSON, "cycle": cycle_id, "csrf_token": "forged"},
        follow_redirects=False,
    )
    refused(forged)
    assert counts(client) == before


def test_signed_out_the_form_asks_to_sign_in(app_client: TestClient) -> None:
    response = app_client.get("/customers/new", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


# -- the guided order -------------------------------------------------------------------------


@pytest.fixture
def world(client: TestClient) -> ow.World:
    return ow.build(client)


def orders(client: TestClient, world: ow.World) -> int:
    return total(client, ow.ORDERS, **{"relatedParty.id": world.customer_id})


def test_the_guided_order_offers_launched_offerings_and_their_values(
    platform: bootstrap.Platform, client: TestClient, world: ow.World
) -> None:
    as_role(platform, client, "csr")
    step_one = client.get(f"/customers/{world.customer_id}/orders/new")
    assert step_one.status_code == 200
    assert f'<option value="{world.offering_id}"' in step_one.text
    assert "Choose an offering first" in step_one.text

    step_two = client.get(
        f"/customers/{world.customer_id}/orders/new/characteristics",
        params={"offering": world.offering_id},
        headers={"HX-Request": "true"},
    )

    assert step_two.status_code == 200
    assert "<html" not in step_two.text  # a fragment for htmx
    assert 'name="char.downloadSpeed"' in step_two.text
    assert '<option value="300" selected>' in step_two.text  # the default
    assert '<option value="1000"' in step_two.text
    # Without JavaScript, "Next" reloads the page with the offering: step 2 is on it.
    reloaded = client.get(
        f"/customers/{world.customer_id}/orders/new", params={"offering": world.offering_id}
    )
    assert 'name="char.downloadSpeed"' in reloaded.text
    assert client.get("/customers/nobody/orders/new").status_code == 404


def test_a_csr_places_an_order_that_the_ordering_rules_accept(
    platform: bootstrap.Platform, client: TestClient, world: ow.World
) -> None:
    as_role(platform, client, "csr")
    response = post(
        client,
        f"/customers/{world.customer_id}/orders/new",
        {"offering": world.offering_id, "char.downloadSpeed": "1000"},
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/customers/{world.customer_id}"
    (order,) = client.get(ow.ORDERS, params={"relatedParty.id": world.customer_id}).json()
    item = order["productOrderItem"][0]
    values = {c["name"]: c["value"] for c in item["product"]["productCharacteristic"]}
    assert values["downloadSpeed"] == "1000"
    assert values["failOnNetwork"] == "false"  # the default filled in by the rules
    assert order["billingAccount"]["id"] == world.account_id

    ow.settle(platform)
    assert client.get(f"{ow.ORDERS}/{order['id']}").json()["state"] == "completed"


def test_a_value_the_offering_does_not_sell_is_shown_on_step_two(
    platform: bootstrap.Platform, client: TestClient, world: ow.World
) -> None:
    as_role(platform, client, "csr")
    response = post(
        client,
        f"/customers/{world.customer_id}/orders/new",
        {"offering": world.offering_id, "char.downloadSpeed": "500"},
    )
    assert response.status_code == 400
    assert "downloadSpeed=500 is not offered" in response.text
    assert re.search(r'name="char.downloadSpeed"[^>]*aria-invalid="true"', response.text)
    unknown = post(client, f"/customers/{world.customer_id}/orders/new", {"offering": "nope"})
    assert unknown.status_code == 400
    assert "Unknown offering" in unknown.text
    assert orders(client, world) == 0


def test_a_readonly_user_or_a_forged_form_places_no_order(
    platform: bootstrap.Platform, client: TestClient, world: ow.World
) -> None:
    url = f"/customers/{world.customer_id}/orders/new"
    data = {"offering": world.offering_id}
    as_role(platform, client, "readonly")
    assert client.get(url).status_code == 200  # staff may look
    refused(post(client, url, data))
    as_role(platform, client, "csr")
    refused(post(client, url, data, token=False))
    assert orders(client, world) == 0


# -- suspend / resume -------------------------------------------------------------------------


def active_product(client: TestClient, platform: bootstrap.Platform, world: ow.World) -> str:
    order = ow.place(client, platform, ow.order_body(world, ow.add_item(world)))
    assert order["state"] == "completed", order
    return str(order["productOrderItem"][0]["product"]["id"])


def product_status(platform: bootstrap.Platform, product_id: str) -> str:
    with platform.database.unit_of_work(write=False) as session:
        return str(product_inventory.get_product(session, product_id=product_id)["status"])


def test_a_csr_suspends_and_resumes_a_product_through_orders(
    platform: bootstrap.Platform, client: TestClient, world: ow.World
) -> None:
    product_id = active_product(client, platform, world)
    as_role(platform, client, "csr")
    base = f"/customers/{world.customer_id}/products/{product_id}"

    suspended = post(client, f"{base}/suspend", {"reason": "travelling"})
    assert suspended.status_code == 303, suspended.text
    ow.settle(platform)
    assert product_status(platform, product_id) == "suspended"

    again = post(client, f"{base}/suspend", {})
    assert again.status_code == 409
    assert "the product is suspended" in again.text

    resumed = post(client, f"{base}/resume", {})
    assert resumed.status_code == 303
    ow.settle(platform)
    assert product_status(platform, product_id) == "active"
    modify = [
        o
        for o in client.get(ow.ORDERS, params={"relatedParty.id": world.customer_id}).json()
        if o["productOrderItem"][0]["action"] == "modify"
    ]
    assert len(modify) == 2


def test_suspend_needs_the_csr_role_and_the_token(
    platform: bootstrap.Platform, client: TestClient, world: ow.World
) -> None:
    product_id = active_product(client, platform, world)
    url = f"/customers/{world.customer_id}/products/{product_id}/suspend"
    before = orders(client, world)
    as_role(platform, client, "readonly")
    refused(post(client, url, {}))
    as_role(platform, client, "csr")
    refused(post(client, url, {}, token=False))
    assert orders(client, world) == before
    assert product_status(platform, product_id) == "active"


def test_another_customers_product_is_not_found(
    platform: bootstrap.Platform, client: TestClient, world: ow.World
) -> None:
    product_id = active_product(client, platform, world)
    other = ow.build(client, pool_cidr="100.64.1.0/29")
    as_role(platform, client, "csr")
    response = post(client, f"/customers/{other.customer_id}/products/{product_id}/suspend", {})
    assert response.status_code == 404


# -- payments ---------------------------------------------------------------------------------


def payments(client: TestClient, world: ow.World) -> int:
    return total(client, PAYMENTS, **{"account.id": world.account_id})


@pytest.mark.parametrize("role", ["billing", "csr"])
def test_billing_or_a_csr_records_a_payment_to_a_chosen_bill(
    platform: bootstrap.Platform, client: TestClient, world: ow.World, role: str
) -> None:
    due = platform.clock.now() + timedelta(days=14)
    older = issue_bill(platform, world.account_id, "B-1", due=due, amount=5000)
    chosen = issue_bill(
        platform, world.account_id, "B-2", due=due + timedelta(days=30), amount=3000
    )
    as_role(platform, client, role)
    form = client.get(f"/customers/{world.customer_id}/payments/new")
    assert form.status_code == 200
    assert "B-2" in form.text

    response = post(
        client,
        f"/customers/{world.customer_id}/payments/new",
        {"method": "cash", "amount": "30.00", "bill": chosen, "reference": "shop receipt 17"},
    )

    assert response.status_code == 303, response.text
    assert bill_state(platform, chosen) == ("settled", 0)
    assert bill_state(platform, older)[1] == 5000  # the chosen bill first
    assert balance(platform, world.account_id) == 5000


def test_a_bad_amount_records_nothing(
    platform: bootstrap.Platform, client: TestClient, world: ow.World
) -> None:
    as_role(platform, client, "billing")
    for amount, message in [
        ("12.345", "EUR has 2 decimals"),
        ("0", "more than zero"),
        ("ten", "a number such as"),
    ]:
        response = post(
            client,
            f"/customers/{world.customer_id}/payments/new",
            {"method": "bankTransfer", "amount": amount},
        )
        assert response.status_code == 400
        assert message in response.text
        assert f'value="{amount}"' in response.text
    assert payments(client, world) == 0


def test_the_amount_is_exact_minor_units(
    platform: bootstrap.Platform, client: TestClient, world: ow.World
) -> None:
    as_role(platform, client, "billing")
    response = post(
        client,
        f"/customers/{world.customer_id}/payments/new",
        {"method": "bankTransfer", "amount": "0.29"},  # 0.29 * 100 is 28.999… in floats
    )
    assert response.status_code == 303
    assert balance(platform, world.account_id) == -29


def test_a_card_payment_needs_a_card_on_file(
    platform: bootstrap.Platform, client: TestClient, world: ow.World
) -> None:
    as_role(platform, client, "billing")
    response = post(
        client, f"/customers/{world.customer_id}/payments/new", {"method": "card", "amount": "5"}
    )
    assert response.status_code == 400
    assert "no card on file" in response.text
    assert payments(client, world) == 0


def test_a_readonly_user_or_a_forged_form_records_no_payment(
    platform: bootstrap.Platform, client: TestClient, world: ow.World
) -> None:
    url = f"/customers/{world.customer_id}/payments/new"
    data = {"method": "cash", "amount": "10"}
    for role in ("readonly", "noc"):
        as_role(platform, client, role)
        refused(post(client, url, data))
    as_role(platform, client, "billing")
    refused(post(client, url, data, token=False))
    assert payments(client, world) == 0


# -- bill adjustments -------------------------------------------------------------------------


def credit_notes(platform: bootstrap.Platform, bill_id: str) -> int:
    with platform.database.unit_of_work(write=False) as session:
        query = select(func.count()).where(Bill.corrects_bill_id == bill_id)
        return int(session.scalar(query) or 0)


def pending(platform: bootstrap.Platform, world: ow.World) -> list[int]:
    with platform.database.unit_of_work(write=False) as session:
        found = billing.pending_adjustments(session, account_ids=[world.account_id])
        return [a.amount_minor for a in found.get(world.account_id, [])]


@pytest.fixture
def issued(platform: bootstrap.Platform, world: ow.World) -> str:
    """An issued bill of 40.00 with one line (a credit note credits lines)."""
    with platform.database.unit_of_work() as session:
        return billing_rows.bill(
            session,
            account_id=world.account_id,
            lines=[billing_rows.Line("p-1", "recurring", 4000, tax_rate="0")],
            state=billing.ISSUED,
            bill_no="B-9",
        )


def test_billing_issues_a_credit_note(
    platform: bootstrap.Platform, client: TestClient, world: ow.World, issued: str
) -> None:
    as_role(platform, client, "billing")
    url = f"/customers/{world.customer_id}/bills/{issued}/adjust"
    form = client.get(url)
    assert form.status_code == 200
    assert "B-9" in form.text

    response = post(client, url, {"kind": "creditNote", "amount": "15.50", "reason": "outage"})

    assert response.status_code == 303, response.text
    assert credit_notes(platform, issued) == 1
    assert bill_state(platform, issued)[1] == 4000 - 1550


def test_billing_adds_a_credit_to_the_next_bill(
    platform: bootstrap.Platform, client: TestClient, world: ow.World, issued: str
) -> None:
    as_role(platform, client, "billing")
    url = f"/customers/{world.customer_id}/bills/{issued}/adjust"
    response = post(client, url, {"kind": "credit", "amount": "5", "reason": "goodwill"})
    assert response.status_code == 303
    assert pending(platform, world) == [-500]
    assert credit_notes(platform, issued) == 0


def test_a_credit_beyond_the_bill_is_a_conflict_and_changes_nothing(
    platform: bootstrap.Platform, client: TestClient, world: ow.World, issued: str
) -> None:
    as_role(platform, client, "billing")
    url = f"/customers/{world.customer_id}/bills/{issued}/adjust"
    response = post(client, url, {"kind": "creditNote", "amount": "40.01", "reason": "oops"})
    assert response.status_code == 409
    assert "left to credit" in response.text
    assert 'value="40.01"' in response.text
    no_reason = post(client, url, {"kind": "credit", "amount": "1", "reason": ""})
    assert no_reason.status_code == 400
    assert credit_notes(platform, issued) == 0
    assert pending(platform, world) == []


def test_only_billing_adjusts_and_only_with_the_token(
    platform: bootstrap.Platform, client: TestClient, world: ow.World, issued: str
) -> None:
    url = f"/customers/{world.customer_id}/bills/{issued}/adjust"
    data = {"kind": "creditNote", "amount": "1", "reason": "r"}
    for role in ("readonly", "csr"):
        as_role(platform, client, role)
        refused(post(client, url, data))
    as_role(platform, client, "billing")
    refused(post(client, url, data, token=False))
    assert credit_notes(platform, issued) == 0


def test_another_customers_bill_is_not_found(
    platform: bootstrap.Platform, client: TestClient, world: ow.World, issued: str
) -> None:
    other = ow.build(client, pool_cidr="100.64.1.0/29")
    as_role(platform, client, "billing")
    assert client.get(f"/customers/{other.customer_id}/bills/{issued}/adjust").status_code == 404


# -- tickets ----------------------------------------------------------------------------------


def tickets(client: TestClient, world: ow.World) -> int:
    return total(client, TICKETS, **{"relatedParty.id": world.customer_id})


def test_a_csr_opens_a_ticket_for_the_customer(
    platform: bootstrap.Platform, client: TestClient, world: ow.World
) -> None:
    product_id = active_product(client, platform, world)
    as_role(platform, client, "csr")
    form = client.get(f"/customers/{world.customer_id}/tickets/new")
    assert form.status_code == 200
    assert product_id in form.text

    response = post(
        client,
        f"/customers/{world.customer_id}/tickets/new",
        {
            "name": "Slow evenings",
            "ticketType": "troubleTicket",
            "severity": "major",
            "description": "Speed drops after 8 pm",
            "product": product_id,
        },
    )

    assert response.status_code == 303, response.text
    (ticket,) = client.get(TICKETS, params={"relatedParty.id": world.customer_id}).json()
    assert ticket["priority"] == "P2"  # from the severity
    assert ticket["relatedParty"][0]["role"] == "customer"
    assert ticket["relatedEntity"][0]["id"] == product_id


def test_a_ticket_without_description_is_refused(
    platform: bootstrap.Platform, client: TestClient, world: ow.World
) -> None:
    as_role(platform, client, "csr")
    response = post(
        client,
        f"/customers/{world.customer_id}/tickets/new",
        {"ticketType": "troubleTicket", "severity": "major", "description": "", "name": "kept"},
    )
    assert response.status_code == 400
    assert "Describe the problem" in response.text
    assert 'value="kept"' in response.text
    assert tickets(client, world) == 0


def test_a_readonly_or_billing_user_or_a_forged_form_opens_no_ticket(
    platform: bootstrap.Platform, client: TestClient, world: ow.World
) -> None:
    url = f"/customers/{world.customer_id}/tickets/new"
    data = {"ticketType": "troubleTicket", "severity": "minor", "description": "x"}
    for role in ("readonly", "billing"):
        as_role(platform, client, role)
        refused(post(client, url, data))
    as_role(platform, client, "csr")
    refused(post(client, url, data, token=False))
    assert tickets(client, world) == 0


# -- the forms' pure parts --------------------------------------------------------------------


def test_amounts_are_read_exactly_in_each_currencys_minor_units() -> None:
    assert forms.minor_units("12.5", "EUR") == 1250
    assert forms.minor_units("1,05", "EUR") == 105
    assert forms.minor_units("1500", "JPY") == 1500
    assert forms.minor_units("1.234", "BHD") == 1234
    with pytest.raises(InvalidInput, match="Invalid amount"):
        forms.minor_units("1.5", "JPY")
    with pytest.raises(InvalidInput):
        forms.minor_units("-3", "EUR")


def test_a_ranged_number_characteristic_is_a_bounded_number_field() -> None:
    specification = {
        "name": "Leased line",
        "productSpecCharacteristic": [
            {
                "name": "bandwidthMbps",
                "valueType": "number",
                "minCardinality": 1,
                "productSpecCharacteristicValue": [{"valueFrom": 10, "valueTo": 1000}],
            },
            {
                "name": "downloadSpeed",
                "valueType": "string",
                "productSpecCharacteristicValue": [
                    {"value": 300, "isDefault": True},
                    {"value": 1000},
                    {"value": 2000},
                ],
            },
        ],
    }
    offering = {
        "prodSpecCharValueUse": [
            {"name": "downloadSpeed", "productSpecCharacteristicValue": [{"value": 1000}]}
        ]
    }
    bandwidth, speed = forms.characteristic_fields(specification, offering)
    assert (bandwidth.numeric, bandwidth.minimum, bandwidth.maximum) == (True, "10", "1000")
    assert bandwidth.required
    assert not bandwidth.options
    assert speed.options == ("1000",)  # only what the offering sells
    assert speed.default == "1000"
    with pytest.raises(InvalidInput, match="above 1000") as refused_value:
        forms.chosen_characteristics([bandwidth], {"char.bandwidthMbps": "5000"})
    assert refused_value.value.field == "char.bandwidthMbps"
    assert forms.chosen_characteristics([bandwidth, speed], {"char.bandwidthMbps": "100"}) == [
        {"name": "bandwidthMbps", "value": "100"}
    ]
