"""Payment-method details on an account (extension ``paymentMethod``), pure.

TMF666 v4 only has ``defaultPaymentMethod``, a reference to a payment method kept elsewhere
(TMF670). Until a room owns payment methods, an account may carry the details itself:

- ``BankAccountDebit``: ``iban`` (required) and ``bic`` (optional), validated with
  python-stdnum and stored in compact form, because direct-debit files need them exactly.
- ``BankCard``: a PSP ``token``, ``brand``, ``lastFourDigits``, ``expirationDate`` — never the
  card number or its security code (PCI DSS: whoever stores a PAN must be PCI audited, so the
  card stays with the payment service provider and we keep its token).
- ``Cash``: nothing more.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from stdnum import bic, iban, luhn
from stdnum.exceptions import ValidationError

from ossbss.kernel.errors import InvalidInput

Document = dict[str, Any]

FIELD = "paymentMethod"
TYPES = ("BankAccountDebit", "BankCard", "Cash")
# Attribute names that would carry a full card number or its security code.
_FORBIDDEN_CARD_FIELDS = frozenset(
    {"cardNumber", "number", "pan", "primaryAccountNumber", "cvv", "cvv2", "cvc", "securityCode"}
)
# 13 to 19 digits, possibly grouped by spaces or dashes: the shape of a PAN.
_PAN_LIKE = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")


def normalise_payment_method(document: Document) -> Document:
    """Validate and normalise the ``paymentMethod`` extension, if the account has one."""
    method = document.get(FIELD)
    if method is None:
        return document
    if not isinstance(method, Mapping):
        raise InvalidInput("Invalid payment method", field=FIELD, detail="must be an object")
    kind = method.get("@type")
    if kind not in TYPES:
        raise InvalidInput(
            "Unsupported payment method",
            field=f"{FIELD}.@type",
            detail=f"must be one of: {', '.join(TYPES)}",
        )
    refuse_card_numbers(method)
    normalised = {"BankAccountDebit": _bank_account_debit, "BankCard": _bank_card}.get(
        str(kind), dict
    )(method)
    return {**document, FIELD: normalised}


def _bank_account_debit(method: Mapping[str, Any]) -> dict[str, Any]:
    if not method.get("iban"):
        raise InvalidInput("Missing IBAN", field=f"{FIELD}.iban", detail="is required for a debit")
    result = {**method, "iban": normalise_iban(method["iban"], field=f"{FIELD}.iban")}
    if method.get("bic"):
        result["bic"] = normalise_bic(method["bic"], field=f"{FIELD}.bic")
    return result


def _bank_card(method: Mapping[str, Any]) -> dict[str, Any]:
    last_four = method.get("lastFourDigits")
    if last_four is not None and not re.fullmatch(r"\d{4}", str(last_four)):
        raise InvalidInput(
            "Invalid card digits",
            field=f"{FIELD}.lastFourDigits",
            detail="must be exactly 4 digits",
        )
    return dict(method)


def normalise_iban(raw: Any, *, field: str) -> str:
    """The IBAN in compact form (no spaces, upper case), or 400 naming ``field``."""
    try:
        return str(iban.validate(str(raw)))
    except ValidationError as exc:
        raise InvalidInput("Invalid IBAN", field=field, detail=str(exc)) from None


def normalise_bic(raw: Any, *, field: str) -> str:
    try:
        return str(bic.validate(str(raw)))
    except ValidationError as exc:
        raise InvalidInput("Invalid BIC", field=field, detail=str(exc)) from None


def refuse_card_numbers(method: Mapping[str, Any]) -> None:
    """Refuse card-number and CVV attributes on any method, and on a card any value shaped
    like a valid PAN. (Bank methods are not scanned: IBAN and mandate digits pass the Luhn
    check one time in ten.)"""
    for name, value in method.items():
        where = f"{FIELD}.{name}"
        if name in _FORBIDDEN_CARD_FIELDS:
            raise InvalidInput("Card data not accepted", field=where, detail=_PCI_DETAIL)
        card = method.get("@type") == "BankCard"
        if card and isinstance(value, str) and _looks_like_pan(value):
            raise InvalidInput("Card number not accepted", field=where, detail=_PCI_DETAIL)


def _looks_like_pan(text: str) -> bool:
    for match in _PAN_LIKE.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if luhn.is_valid(digits):
            return True
    return False


_PCI_DETAIL = (
    "full card numbers and security codes are never stored (PCI DSS); send the payment "
    "provider's token with brand and lastFourDigits instead"
)
