"""TMF676 payments and refunds through the HTTP API: allocation oldest first, credit kept
and applied to the next bill, refunds, suspense, duplicates, bad input, roles."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from conftest import START, key_for
from ossbss import bootstrap
from ossbss.kernel.outbox import OutboxMessage
from payment_world import (
    PAYMENT,
    assert_ledger_matches,
    balance,
    bill,
    billing_account,
    issue_bill,
    pay,
)

DUE = START + timedelta(days=10)


def test_payment_goes_to_the_oldest_bills_first(
    client: TestClient, platform: bootstrap.Platform
) -> None:
    acc = billing_account(client)
    newer = issue_bill(platform, acc, "INV-2026-000002", due=DUE + timedelta(days=30), amount=5000)
    older = issue_bill(platform, acc, "INV-2026-000001", due=DUE, amount=10000)

    response = pay(client, acc, 120.0, correlatorId="bank-1")

    assert response.status_code == 201, response.text
    payment = response.json()
    assert response.headers["Location"] == payment["href"]
    assert payment["status"] == "done"
    assert [(i["item"]["id"], i["totalAmount"]["value"]) for i in payment["paymentItem"]] == [
        (older, 100),
        (newer, 20),
    ]
    assert bill(platform, older) == ("settled", 0)
    assert bill(platform, newer) == ("partiallyPaid", 3000)
    assert balance(platform, acc) == 3000
    assert_ledger_matches(platform, acc)
    with platform.database.unit_of_work(write=False) as session:
        topics = list(session.scalars(select(OutboxMessage.topic)))
    assert "payment.payment-allocated" in topics
    assert "billing.bill-settled" in topics


def test_overpayment_is_credit_applied_to_the_next_bill(
    client: TestClient, platform: bootstrap.Platform
) -> None:
    acc = billing_account(client)
    first = issue_bill(platform, acc, "INV-2026-000001", due=DUE, amount=10000)
    payment = pay(client, acc, 150.0).json()
    assert payment["unallocatedAmount"] == {"unit": "EUR", "value": 50}
    assert bill(platform, first) == ("settled", 0)
    assert balance(platform, acc) == -5000
    assert_ledger_matches(platform, acc)

    second = issue_bill(platform, acc, "INV-2026-000002", due=DUE + timedelta(days=30), amount=8000)

    assert bill(platform, second) == ("partiallyPaid", 3000)
    assert balance(platform, acc) == 3000
    assert_ledger_matches(platform, acc)
    again = client.get(f"{PAYMENT}/payment/{payment['id']}").json()
    assert again["unallocatedAmount"]["value"] == 0
    assert {i["item"]["id"] for i in again["paymentItem"]} == {first, second}
    # the event delivered again changes nothing
    platform.dispatcher.run_pending()
    assert bill(platform, second) == ("partiallyPaid", 3000)


def test_named_bill_is_paid_first(client: TestClient, platform: bootstrap.Platform) -> None:
    acc = billing_account(client)
    older = issue_bill(platform, acc, "INV-2026-000001", due=DUE, amount=10000)
    newer = issue_bill(platform, acc, "INV-2026-000002", due=DUE + timedelta(days=30), amount=5000)
    response = pay(client, acc, 60.0, paymentItem=[{"item": {"id": "INV-2026-000002"}}])
    assert response.status_code == 201, response.text
    assert bill(platform, newer) == ("settled", 0)
    assert bill(platform, older) == ("partiallyPaid", 9000)
    assert_ledger_matches(platform, acc)


def test_duplicate_correlator_id_is_applied_once(
    client: TestClient, platform: bootstrap.Platform
) -> None:
    acc = billing_account(client)
    issue_bill(platform, acc, "INV-2026-000001", due=DUE, amount=10000)
    first = pay(client, acc, 40.0, correlatorId="psp-42").json()
    second = pay(client, acc, 40.0, correlatorId="psp-42")
    assert second.status_code == 201
    assert second.json()["id"] == first["id"]
    assert balance(platform, acc) == 6000
    listed = client.get(f"{PAYMENT}/payment", params={"account.id": acc})
    assert listed.headers["X-Total-Count"] == "1"


def test_unknown_account_wrong_currency_and_unknown_bill_are_held(
    client: TestClient, platform: bootstrap.Platform
) -> None:
    acc = billing_account(client)
    bill_id = issue_bill(platform, acc, "INV-2026-000001", due=DUE, amount=10000)
    unknown = pay(client, "no-such-account", 10.0)
    dollars = client.post(
        f"{PAYMENT}/payment",
        json={
            "account": {"id": acc},
            "totalAmount": {"unit": "USD", "value": 10},
            "paymentMethod": {"@type": "cash"},
        },
    )
    no_bill = pay(client, acc, 10.0, paymentItem=[{"item": {"id": "INV-1999-999999"}}])
    for response, reason in (
        (unknown, "unknown billing account"),
        (dollars, "currency USD differs"),
        (no_bill, "unknown bill"),
    ):
        assert response.status_code == 201, response.text
        assert response.json()["status"] == "held"
        assert reason in response.json()["statusReason"]
    assert bill(platform, bill_id) == ("sent", 10000)
    assert balance(platform, acc) == 10000
    held = client.get(f"{PAYMENT}/payment", params={"status": "held"})
    assert held.headers["X-Total-Count"] == "3"


def test_card_payment_through_the_gateway(client: TestClient, platform: bootstrap.Platform) -> None:
    acc = billing_account(
        client, paymentMethod={"@type": "BankCard", "token": "tok_visa", "lastFourDigits": "4242"}
    )
    issue_bill(platform, acc, "INV-2026-000001", due=DUE, amount=10000)
    approved = pay(client, acc, 30.0, paymentMethod={"id": "default"})
    declined = pay(client, acc, 30.0, paymentMethod={"@type": "card", "token": "tok_declined"})
    assert approved.json()["status"] == "done"
    assert approved.json()["paymentMethod"]["@type"] == "BankCard"
    assert approved.json()["authorizationCode"].startswith("fake_ch_")
    assert declined.json()["status"] == "denied"
    assert declined.json()["statusReason"] == "declined by the issuer"
    assert balance(platform, acc) == 7000


def test_refunds(client: TestClient, platform: bootstrap.Platform) -> None:
    acc = billing_account(client)
    bill_id = issue_bill(platform, acc, "INV-2026-000001", due=DUE, amount=10000)
    payment = pay(client, acc, 130.0).json()  # 30 of credit

    credit = client.post(
        f"{PAYMENT}/refund",
        json={
            "account": {"id": acc},
            "totalAmount": {"unit": "EUR", "value": 30},
            "paymentMethod": {"@type": "bankTransfer"},
            "description": "customer asked for the credit",
        },
    )
    assert credit.status_code == 201, credit.text
    assert balance(platform, acc) == 0
    too_much = client.post(
        f"{PAYMENT}/refund",
        json={
            "account": {"id": acc},
            "payment": {"id": payment["id"]},
            "totalAmount": {"unit": "EUR", "value": 100.01},
            "paymentMethod": {"@type": "bankTransfer"},
        },
    )
    assert too_much.status_code == 409, too_much.text
    assert too_much.json()["code"] == "CONFLICT"
    partial = client.post(
        f"{PAYMENT}/refund",
        json={
            "account": {"id": acc},
            "payment": {"id": payment["id"]},
            "totalAmount": {"unit": "EUR", "value": 40},
            "paymentMethod": {"@type": "bankTransfer"},
        },
    )
    assert partial.status_code == 201, partial.text
    assert partial.json()["payment"]["id"] == payment["id"]
    assert bill(platform, bill_id) == ("partiallyPaid", 4000)
    assert balance(platform, acc) == 4000
    assert_ledger_matches(platform, acc)
    listed = client.get(f"{PAYMENT}/refund", params={"account.id": acc})
    assert listed.headers["X-Total-Count"] == "2"
    one = client.get(f"{PAYMENT}/refund/{partial.json()['id']}")
    assert one.json()["totalAmount"] == {"unit": "EUR", "value": 40}


def test_card_refund_goes_back_through_the_gateway(
    client: TestClient, platform: bootstrap.Platform
) -> None:
    acc = billing_account(client)
    issue_bill(platform, acc, "INV-2026-000001", due=DUE, amount=10000)
    payment = pay(client, acc, 100.0, paymentMethod={"@type": "card", "token": "tok_ok"}).json()
    body = {
        "account": {"id": acc},
        "payment": {"id": payment["id"]},
        "totalAmount": {"unit": "EUR", "value": 25},
        "paymentMethod": {"@type": "card"},
        "correlatorId": "refund-1",
    }
    first = client.post(f"{PAYMENT}/refund", json=body)
    again = client.post(f"{PAYMENT}/refund", json=body)
    assert first.json()["authorizationCode"].startswith("fake_re_")
    assert again.json()["id"] == first.json()["id"]
    assert balance(platform, acc) == 2500


def test_bad_input_names_the_field_and_changes_nothing(
    client: TestClient, platform: bootstrap.Platform
) -> None:
    acc = billing_account(client)
    base = {
        "account": {"id": acc},
        "totalAmount": {"unit": "EUR", "value": 10},
        "paymentMethod": {"@type": "cash"},
    }
    cases = [
        ({k: v for k, v in base.items() if k != "totalAmount"}, "totalAmount"),
        ({**base, "totalAmount": {"unit": "XXY", "value": 10}}, "totalAmount.unit"),
        ({**base, "totalAmount": {"unit": "EUR", "value": -5}}, "totalAmount.value"),
        ({**base, "totalAmount": {"unit": "EUR", "value": 1.234}}, "totalAmount.value"),
        ({**base, "paymentMethod": {"@type": "bitcoin"}}, "paymentMethod"),
        ({**base, "account": {"name": "no id"}}, "account"),
    ]
    for body, field in cases:
        response = client.post(f"{PAYMENT}/payment", json=body)
        assert response.status_code == 400, (body, response.text)
        error = response.json()
        assert error["code"] == "INVALID_INPUT"
        assert field in error["message"], (field, error)
    assert client.get(f"{PAYMENT}/payment").headers["X-Total-Count"] == "0"
    assert client.get(f"{PAYMENT}/payment/nope").status_code == 404


def test_roles(app_client: TestClient, platform: bootstrap.Platform, client: TestClient) -> None:
    acc = billing_account(client)
    body = {
        "account": {"id": acc},
        "totalAmount": {"unit": "EUR", "value": 10},
        "paymentMethod": {"@type": "cash"},
    }
    readonly = {"Authorization": f"Bearer {key_for(platform, 'readonly')}"}
    biller = {"Authorization": f"Bearer {key_for(platform, 'billing')}"}
    assert app_client.post(f"{PAYMENT}/payment", json=body, headers=readonly).status_code == 403
    assert app_client.post(f"{PAYMENT}/payment", json=body, headers=biller).status_code == 201
    assert app_client.get(f"{PAYMENT}/payment", headers=readonly).status_code == 200


def test_lists_filter_and_select_fields(client: TestClient, platform: bootstrap.Platform) -> None:
    acc = billing_account(client)
    other = billing_account(client)
    pay(client, acc, 10.0)
    pay(client, acc, 11.0, paymentMethod={"@type": "Cash"})
    pay(client, other, 12.0)
    by_method = client.get(f"{PAYMENT}/payment", params={"paymentMethod": "cash"})
    assert [p["totalAmount"]["value"] for p in by_method.json()] == [11]
    page = client.get(
        f"{PAYMENT}/payment", params={"account.id": acc, "fields": "status", "limit": 1}
    )
    assert page.headers["X-Total-Count"] == "2"
    assert page.headers["X-Result-Count"] == "1"
    assert set(page.json()[0]) == {"id", "href", "status"}
    assert client.get(f"{PAYMENT}/payment", params={"limit": "x"}).status_code == 400
