"""party rules, pure: contact media, lifecycles."""

from __future__ import annotations

from typing import Any

import phonenumbers
import pycountry
from email_validator import EmailNotValidError, validate_email

from ossbss.kernel.errors import InvalidInput
from ossbss.tmf import check_period

INDIVIDUAL_LIFECYCLE = {
    "initialized": frozenset({"validated", "deceaded"}),
    "validated": frozenset({"deceaded"}),
    "deceaded": frozenset(),
}
ORGANIZATION_LIFECYCLE = {
    "initialized": frozenset({"validated", "closed"}),
    "validated": frozenset({"closed"}),
    "closed": frozenset(),
}
# TMF629 leaves customer status a free string; this is ours (docs/rooms/party.md).
CUSTOMER_LIFECYCLE = {
    "Initialized": frozenset({"Approved", "Active", "Closed"}),
    "Approved": frozenset({"Active", "Closed"}),
    "Active": frozenset({"Suspended", "Closed"}),
    "Suspended": frozenset({"Active", "Closed"}),
    "Closed": frozenset(),
}
CUSTOMER_INITIAL = frozenset({"Initialized", "Approved", "Active"})
PARTY_TYPES = ("Individual", "Organization")

_PHONE_FIELDS = ("phoneNumber", "faxNumber")


def normalise_phone(raw: str, *, field: str) -> str:
    """Return the number in E.164; it must carry its country code (+...)."""
    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        raise InvalidInput(
            "Invalid phone number", field=field, detail="must be E.164, e.g. +442079460018"
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(
            "Invalid phone number", field=field, detail=f"{raw} is not a valid number"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str, *, field: str) -> str:
    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidInput("Invalid e-mail address", field=field, detail=str(exc)) from None


def normalise_country(raw: str, *, field: str) -> str:
    """Accept an ISO 3166-1 alpha-2 or alpha-3 code; store alpha-2."""
    code = raw.strip().upper()
    country = pycountry.countries.get(alpha_2=code) if len(code) == 2 else None
    if country is None and len(code) == 3:
        country = pycountry.countries.get(alpha_3=code)
    if country is None:
        raise InvalidInput(
            "Invalid country", field=field, detail="must be an ISO 3166-1 alpha-2 or alpha-3 code"
        )
    return str(country.alpha_2)


def normalise_contact_media(
    document: dict[str, Any], field: str = "contactMedium"
) -> dict[str, Any]:
    """Validate and normalise phone numbers (E.164), e-mail addresses and countries."""
    media = document.get(field)
    if not isinstance(media, list):
        return document
    cleaned = []
    for index, medium in enumerate(media):
        check_period(medium, prefix=f"{field}[{index}].")
        characteristic = dict(medium.get("characteristic") or {})
        where = f"{field}[{index}].characteristic"
        for name in _PHONE_FIELDS:
            if characteristic.get(name):
                characteristic[name] = normalise_phone(
                    characteristic[name], field=f"{where}.{name}"
                )
        if characteristic.get("emailAddress"):
            characteristic["emailAddress"] = normalise_email(
                characteristic["emailAddress"], field=f"{where}.emailAddress"
            )
        if characteristic.get("country"):
            characteristic["country"] = normalise_country(
                characteristic["country"], field=f"{where}.country"
            )
        cleaned.append(
            {**medium, "characteristic": characteristic} if "characteristic" in medium else medium
        )
    return {**document, field: cleaned}
