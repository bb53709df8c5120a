"""The demo operator's customers, as pure data: names, contacts, bank details, accounts.

One seeded ``random.Random`` walks the customers in order, so customer *i* depends only on
the ones before it: ``customer_payloads(50)`` is the first 50 of ``customer_payloads(1000)``,
identical on every run. Phone numbers are checked with ``phonenumbers`` and IBANs built with
check digits from ``python-stdnum``. E-mail addresses use the reserved ``example`` domains.
"""

from __future__ import annotations

import random
import string
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum.es import ccc as es_ccc

from ossbss.demo.catalog_data import CYCLE_1ST, CYCLE_15TH, money, ref
from ossbss.demo.names import COUNTRIES, Country

SEED = "northwind-telecom-demo-v1"
PartyKind = Literal["individual", "organization"]
Payload = dict[str, Any]
FIRST_DAY = date(2025, 1, 1)


@dataclass(frozen=True)
class CustomerData:
    """One demo customer before it has ids: its party, billing account and customer bodies.

    The loader adds the references (``engagedParty``, ``relatedParty``, ``account``) once the
    party and the account exist; the bill cycle is a placeholder reference (``ref``)."""

    kind: PartyKind
    display_name: str
    party: Payload
    billing_account: Payload
    customer: Payload


def customer_payloads(count: int) -> list[CustomerData]:
    rng = random.Random(SEED)
    seen: set[str] = set()
    return [_customer(rng, index, seen) for index in range(count)]


def _customer(rng: random.Random, index: int, seen: set[str]) -> CustomerData:
    country = rng.choices(COUNTRIES, weights=[c.weight for c in COUNTRIES])[0]
    since = FIRST_DAY + timedelta(days=rng.randrange(365))
    if rng.random() < 0.10:
        kind: PartyKind = "organization"
        name, party = _organization(rng, country, seen)
    else:
        kind = "individual"
        name, party = _individual(rng, country, seen)
    status = rng.choices(["Active", "Approved", "Initialized"], weights=[92, 5, 3])[0]
    cycle = CYCLE_1ST if rng.random() < 0.7 else CYCLE_15TH
    account = _billing_account(rng, index, kind, name, country, since, party)
    account["billStructure"] = {"cycleSpecification": ref(cycle.key, cycle.name, isRef=True)}
    customer = {
        "name": name,
        "status": status,
        "validFor": {"startDateTime": _instant(since)},
        "characteristic": [
            {"name": "segment", "valueType": "string", "value": _segment(kind)},
            {"name": "customerNumber", "valueType": "string", "value": f"NW{100001 + index}"},
        ],
    }
    return CustomerData(kind, name, party, account, customer)


def _segment(kind: PartyKind) -> str:
    return "Small business" if kind == "organization" else "Residential"


def _instant(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _individual(rng: random.Random, country: Country, seen: set[str]) -> tuple[str, Payload]:
    female = rng.random() < 0.5
    given = rng.choice(country.female_names if female else country.male_names)
    family = rng.choice(country.family_names)
    prefix, _, surname = family.rpartition(" ") if country.code == "NL" else ("", "", family)
    display = f"{given} {family}"
    birth = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
    email = _unique(f"{_ascii(given)}.{_ascii(family)}", seen, rng)
    domain = rng.choice(["example.com", "example.net", "example.org"])
    party: Payload = {
        "givenName": given,
        "familyName": surname,
        "formattedName": display,
        "gender": "female" if female else "male",
        "birthDate": _instant(birth),
        "nationality": country.code,
        "status": "validated",
        "contactMedium": [
            _email(f"{email}@{domain}"),
            _phone(_unique_phone(rng, country.mobile, seen), "mobile"),
            _address(rng, country, "home"),
        ],
    }
    if prefix:
        party["familyNamePrefix"] = prefix
    return display, party


def _organization(rng: random.Random, country: Country, seen: set[str]) -> tuple[str, Payload]:
    family = rng.choice(country.family_names)
    trading = rng.choice(country.business_patterns).format(name=family)
    slug = _unique(_ascii(trading).replace(".", "-"), seen, rng)
    party: Payload = {
        "tradingName": trading,
        "name": f"{trading} {country.legal_form}",
        "nameType": country.legal_form,
        "isLegalEntity": True,
        "organizationType": "Small business",
        "status": "validated",
        "contactMedium": [
            _email(f"contact@{slug}.example"),
            _phone(_unique_phone(rng, country.landline, seen), "work"),
            _address(rng, country, "work"),
        ],
    }
    return trading, party


def _email(address: str) -> Payload:
    return {"mediumType": "email", "preferred": True, "characteristic": {"emailAddress": address}}


def _phone(number: str, contact_type: str) -> Payload:
    return {
        "mediumType": "phone",
        "preferred": False,
        "characteristic": {"phoneNumber": number, "contactType": contact_type},
    }


def _address(rng: random.Random, country: Country, contact_type: str) -> Payload:
    city, postcodes = rng.choice(country.cities)
    street = rng.choice(country.streets)
    number = rng.randint(1, 180)
    line = f"{number} {street}" if country.number_first else f"{street} {number}"
    return {
        "mediumType": "postalAddress",
        "preferred": False,
        "characteristic": {
            "street1": line,
            "postCode": _postcode(rng, country.code, rng.choice(postcodes)),
            "city": city,
            "country": country.code,
            "contactType": contact_type,
        },
    }


def _postcode(rng: random.Random, code: str, base: str) -> str:
    """NL and IE postcodes end with letters and digits specific to the address."""
    if code == "NL":
        return f"{base} {''.join(rng.choices('ABCEGHJKLNPRSTVWXZ', k=2))}"
    if code == "IE":
        return f"{base} {''.join(rng.choices('ACDEFHKNPRTVWXY0123456789', k=4))}"
    return base


# Letters NFKD does not take apart (\u0131 is the Turkish dotless i).
_FOLD = str.maketrans({"ß": "ss", "\u0131": "i", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE"})


def _ascii(text: str) -> str:
    """A name as the local part of an address: "Søren O'Brien-Núñez" -> "sorenobrien-nunez"."""
    text = text.translate(_FOLD)
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch in string.ascii_lowercase + "-.")


def _unique(local: str, seen: set[str], rng: random.Random) -> str:
    candidate = local
    while candidate in seen:
        candidate = f"{local}{rng.randint(2, 99)}"
    seen.add(candidate)
    return candidate


def _unique_phone(rng: random.Random, patterns: tuple[tuple[str, int], ...], seen: set[str]) -> str:
    """A valid E.164 number from one of ``(prefix, digits)``, never handed out twice."""
    while True:
        prefix, digits = rng.choice(patterns)
        number = prefix + "".join(rng.choices(string.digits, k=digits))
        if number not in seen and phonenumbers.is_valid_number(phonenumbers.parse(number)):
            seen.add(number)
            return number


# --- Billing accounts ----------------------------------------------------------------------


def _billing_account(
    rng: random.Random,
    index: int,
    kind: PartyKind,
    name: str,
    country: Country,
    since: date,
    party: Payload,
) -> Payload:
    account: Payload = {
        "name": f"{name} ({'business' if kind == 'organization' else 'home'})",
        "accountType": "business" if kind == "organization" else "residential",
        "state": "Active",
        "currency": "EUR",
        "paymentMethod": _payment_method(rng, index, kind, name, country, since),
    }
    if kind == "organization":
        account["creditLimit"] = money(rng.choice(["500.00", "1000.00", "2500.00"]))
        email = party["contactMedium"][0]["characteristic"]["emailAddress"]
        account["contact"] = [
            {
                "contactType": "billing",
                "contactName": "Accounts payable",
                "validFor": {"startDateTime": _instant(since)},
                "contactMedium": [_email(email.replace("contact@", "accounts@"))],
            }
        ]
    elif rng.random() < 0.2:
        account["creditLimit"] = money(rng.choice(["150.00", "300.00"]))
    return account


_NO_DIGITS = str.maketrans("0123456789", "ghijklmnop")


def _payment_method(
    rng: random.Random, index: int, kind: PartyKind, holder: str, country: Country, since: date
) -> Payload:
    draw = rng.random()
    if kind == "individual" and draw < 0.05:
        return {"@type": "Cash"}
    if kind == "individual" and draw < 0.12:
        return {
            "@type": "BankCard",
            # Letters only: a run of digits could pass the Luhn check and be refused as a PAN.
            "token": f"tok_demo_{rng.getrandbits(64):016x}".translate(_NO_DIGITS),
            "brand": rng.choice(["Visa", "Mastercard"]),
            "lastFourDigits": "".join(rng.choices(string.digits, k=4)),
            "expirationDate": f"{rng.randint(2026, 2030)}-{rng.randint(1, 12):02d}-01T00:00:00Z",
        }
    bank = rng.choice(country.banks)
    return {
        "@type": "BankAccountDebit",
        "iban": make_iban(rng, country.code, bank.code),
        "bic": bank.bic,
        "bankName": bank.name,
        "accountHolder": holder,
        "mandateReference": f"NWT-{100001 + index}",
        "mandateSignatureDate": _instant(since),
    }


def make_iban(rng: random.Random, country: str, bank: str) -> str:
    """A valid IBAN: a BBAN in the country's format (with its national check digits where
    stdnum checks them) and the ISO 13616 check digits."""

    def digits(count: int) -> str:
        return "".join(rng.choices(string.digits, k=count))

    if country == "DE":
        bban = bank + digits(10)
    elif country == "FR":
        branch, number = digits(5), digits(11)
        bban = bank + branch + number + _rib_key(bank, branch, number)
    elif country == "NL":
        bban = bank + digits(10)
    elif country == "BE":
        head = bank + digits(7)
        bban = head + f"{int(head) % 97 or 97:02d}"
    elif country == "ES":
        ccc = bank + digits(4) + "00" + digits(10)
        check = es_ccc.calc_check_digits(ccc)
        bban = ccc[:8] + check + ccc[10:]
    elif country == "IE":
        bban = bank + digits(18 - len(bank))
    else:
        raise ValueError(f"no IBAN format for {country}")
    number = f"{country}00{bban}"
    return f"{country}{stdnum_iban.calc_check_digits(number)}{bban}"


def _rib_key(bank: str, branch: str, account: str) -> str:
    """The French RIB key (clé RIB) over a numeric account number."""
    return f"{97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97:02d}"
