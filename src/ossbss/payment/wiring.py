"""The gateway the edges (HTTP, CLI) record payments through, set by the composition root
from OSSBSS_PAYMENT_GATEWAY (the fake one until configured)."""

from __future__ import annotations

from ossbss.payment.gateway import FakeGateway, PaymentGateway, gateway_from_settings

_current: list[PaymentGateway] = [FakeGateway()]


def configure(*, gateway: str | PaymentGateway = "fake") -> None:
    _current[0] = gateway_from_settings(gateway) if isinstance(gateway, str) else gateway


def current_gateway() -> PaymentGateway:
    return _current[0]
