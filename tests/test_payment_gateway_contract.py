"""The payment-gateway contract (napalm style): the same assertions for every driver. Today
only the fake; a real PSP driver joins GATEWAYS (with a sandbox account) and must pass the
same tests. Each case names the token/amount that declines on that gateway."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from ossbss.kernel.money import Money
from ossbss.payment import FakeGateway, PaymentGateway


@dataclass(frozen=True)
class GatewayCase:
    make: Callable[[], PaymentGateway]
    good_token: str
    declined_token: str


GATEWAYS = {"fake": GatewayCase(FakeGateway, "tok_visa", "tok_declined")}


@pytest.fixture(params=sorted(GATEWAYS))
def case(request: pytest.FixtureRequest) -> GatewayCase:
    return GATEWAYS[request.param]


def test_approved_charge_has_a_reference(case: GatewayCase) -> None:
    gateway = case.make()
    result = gateway.charge(
        token=case.good_token, amount=Money("EUR", 1999), reference="INV-1", idempotency_key="k1"
    )
    assert result.approved
    assert result.gateway_reference
    assert result.decline_reason is None


def test_declined_charge_says_why(case: GatewayCase) -> None:
    result = case.make().charge(
        token=case.declined_token, amount=Money("EUR", 1000), reference="r", idempotency_key="k2"
    )
    assert not result.approved
    assert result.gateway_reference is None
    assert result.decline_reason


def test_retried_charge_is_not_charged_twice(case: GatewayCase) -> None:
    gateway = case.make()
    first = gateway.charge(
        token=case.good_token, amount=Money("EUR", 500), reference="r", idempotency_key="same"
    )
    again = gateway.charge(
        token=case.good_token, amount=Money("EUR", 500), reference="r", idempotency_key="same"
    )
    other = gateway.charge(
        token=case.good_token, amount=Money("EUR", 500), reference="r", idempotency_key="other"
    )
    assert again == first
    assert other.gateway_reference != first.gateway_reference


def test_refund_up_to_the_charge(case: GatewayCase) -> None:
    gateway = case.make()
    charge = gateway.charge(
        token=case.good_token, amount=Money("EUR", 1000), reference="r", idempotency_key="c"
    )
    assert charge.gateway_reference is not None
    part = gateway.refund(
        gateway_reference=charge.gateway_reference, amount=Money("EUR", 600), idempotency_key="r1"
    )
    retried = gateway.refund(
        gateway_reference=charge.gateway_reference, amount=Money("EUR", 600), idempotency_key="r1"
    )
    too_much = gateway.refund(
        gateway_reference=charge.gateway_reference, amount=Money("EUR", 600), idempotency_key="r2"
    )
    assert part.approved
    assert retried == part
    assert not too_much.approved
    assert too_much.decline_reason


def test_refund_of_an_unknown_charge_is_declined(case: GatewayCase) -> None:
    result = case.make().refund(
        gateway_reference="nope", amount=Money("EUR", 100), idempotency_key="r"
    )
    assert not result.approved


def test_fake_declines_amounts_ending_in_13() -> None:
    result = FakeGateway().charge(
        token="tok_visa", amount=Money("EUR", 4213), reference="r", idempotency_key="k"
    )
    assert not result.approved
