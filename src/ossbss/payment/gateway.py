"""The payment-gateway driver protocol (a PSP: card and direct-debit collection), and the fake
gateway tests and the demo use. A real driver implements the same protocol and passes the
same contract test (tests/test_payment_gateway_contract.py).

Bank transfers and cash are money already received: they are recorded, never sent to a
gateway."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Protocol

from ossbss.kernel.errors import InvalidInput
from ossbss.kernel.money import Money

CARD = "card"
BANK_TRANSFER = "bankTransfer"
DIRECT_DEBIT = "directDebit"
CASH = "cash"
METHODS = (CARD, BANK_TRANSFER, DIRECT_DEBIT, CASH)
# Methods where we collect the money ourselves, through the gateway.
COLLECTED = frozenset({CARD, DIRECT_DEBIT})


@dataclass(frozen=True, slots=True)
class GatewayResult:
    approved: bool
    gateway_reference: str | None
    decline_reason: str | None = None


class PaymentGateway(Protocol):
    """A payment service provider. Every call carries an idempotency key: a retried call with
    the same key returns the first answer and moves no money again."""

    def charge(
        self, *, token: str, amount: Money, reference: str, idempotency_key: str
    ) -> GatewayResult: ...

    def refund(
        self, *, gateway_reference: str, amount: Money, idempotency_key: str
    ) -> GatewayResult: ...


DECLINED_TOKEN = "tok_declined"


@dataclass
class FakeGateway:
    """A deterministic PSP in memory: token ``tok_declined`` or an amount whose minor units end
    in 13 is declined; a refund cannot exceed what was charged under that reference."""

    charges: dict[str, Money] = field(default_factory=dict)  # gateway reference -> charged
    refunded: dict[str, int] = field(default_factory=dict)  # gateway reference -> minor
    answers: dict[str, GatewayResult] = field(default_factory=dict)  # idempotency key -> answer
    calls: int = 0  # money-moving calls actually made (retries answered from memory excluded)

    def charge(
        self, *, token: str, amount: Money, reference: str, idempotency_key: str
    ) -> GatewayResult:
        if idempotency_key in self.answers:
            return self.answers[idempotency_key]
        if amount.minor <= 0:
            raise InvalidInput("Invalid amount", field="amount", detail="must be positive")
        self.calls += 1
        if token == DECLINED_TOKEN or amount.minor % 100 == 13:
            result = GatewayResult(False, None, "declined by the issuer")
        else:
            gateway_reference = "fake_ch_" + _digest(idempotency_key)
            self.charges[gateway_reference] = amount
            result = GatewayResult(True, gateway_reference)
        self.answers[idempotency_key] = result
        return result

    def refund(
        self, *, gateway_reference: str, amount: Money, idempotency_key: str
    ) -> GatewayResult:
        if idempotency_key in self.answers:
            return self.answers[idempotency_key]
        charged = self.charges.get(gateway_reference)
        if charged is None:
            result = GatewayResult(False, None, "unknown charge")
        elif charged.currency != amount.currency:
            result = GatewayResult(False, None, "currency differs from the charge")
        elif self.refunded.get(gateway_reference, 0) + amount.minor > charged.minor:
            result = GatewayResult(False, None, "refund exceeds the charge")
        else:
            self.calls += 1
            self.refunded[gateway_reference] = (
                self.refunded.get(gateway_reference, 0) + amount.minor
            )
            result = GatewayResult(True, "fake_re_" + _digest(idempotency_key))
        self.answers[idempotency_key] = result
        return result


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


_GATEWAYS: dict[str, PaymentGateway] = {}


def gateway_from_settings(name: str) -> PaymentGateway:
    """The gateway OSSBSS_PAYMENT_GATEWAY names (``fake``, the default; one per process, so
    its memory of idempotency keys lasts as long as the process)."""
    if name != "fake":
        raise InvalidInput(
            "Unknown payment gateway", field="OSSBSS_PAYMENT_GATEWAY", detail=f"{name!r}: fake"
        )
    return _GATEWAYS.setdefault(name, FakeGateway())
