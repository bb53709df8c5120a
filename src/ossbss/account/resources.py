"""The account room's TMF666 resources: billingAccount, partyAccount, billingCycleSpecification."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ossbss import party
from ossbss.account import domain, models, payment_methods, repository
from ossbss.kernel.errors import Conflict, InvalidInput, NotFound
from ossbss.kernel.time import format_datetime
from ossbss.tmf import Api, Document, Resource, check_initial, check_transition, get_resource

ACCOUNT_API = Api(
    name="accountManagement", spec_file="TMF666-Account-v4.0.0.swagger.json", title="TMF666 Account"
)
WRITERS = frozenset({"admin", "csr", "billing"})


class _AccountRules:
    """Billing and party accounts share their rules (TMF666 gives them the same shape)."""

    def on_create(self, session: Session, document: Document, now: datetime) -> Document:
        document["state"] = domain.normalise_state(document.get("state", "Active"))
        check_initial(domain.ACCOUNT_INITIAL, document["state"], field="state")
        return _check_account(session, {}, document, now)

    def on_update(self, session: Session, old: Document, new: Document, now: datetime) -> Document:
        new["state"] = domain.normalise_state(new.get("state"))
        check_transition(domain.ACCOUNT_LIFECYCLE, old.get("state"), new["state"], field="state")
        domain.check_currency_unchanged(old, new)
        checked = _check_account(session, old, new, now)
        if checked["state"] == "Closed" and old.get("state") != "Closed":
            domain.check_can_close(checked, now)
        return _keep_last_modified_if_unchanged(old, checked)

    def on_delete(self, session: Session, document: Document, now: datetime) -> None:
        # Deleting an account with money on it would lose the money's trace.
        domain.check_can_close(document, now)


def _check_account(session: Session, old: Document, document: Document, now: datetime) -> Document:
    """Structure first (cheap, no database), then the references other rooms vouch for."""
    domain.check_periods(document)
    document = domain.normalise_amounts(document)
    document["relatedParty"] = domain.settle_owner(document["relatedParty"])
    document = payment_methods.normalise_payment_method(document)
    document = _normalise_contacts(document)
    _check_parties(session, old.get("relatedParty") or [], document["relatedParty"])
    _check_cycle(session, old, document, now)
    document["lastModified"] = format_datetime(now)
    return document


def _check_parties(
    session: Session, old: Sequence[dict[str, Any]], related: Sequence[dict[str, Any]]
) -> None:
    # Only new references are looked up: a party removed since it was linked must not
    # block every later change to the account.
    known = {(ref.party_id, ref.referred_type) for ref in domain.party_references(old)}
    for ref in domain.party_references(related):
        if (ref.party_id, ref.referred_type) in known or _party_found(session, ref):
            continue
        raise InvalidInput(
            "Unknown related party",
            field=ref.field,
            detail=f"no {ref.referred_type} with id {ref.party_id}",
        )


def _party_found(session: Session, ref: domain.PartyReference) -> bool:
    if ref.referred_type == domain.CUSTOMER_TYPE:
        try:
            party.get_customer(session, customer_id=ref.party_id)
        except NotFound:
            return False
        return True
    return party.party_exists(
        session, party_id=ref.party_id, referred_type=ref.referred_type.capitalize()
    )


def _check_cycle(session: Session, old: Document, document: Document, now: datetime) -> None:
    cycle_id = domain.cycle_reference(document)
    if cycle_id is None or cycle_id == domain.cycle_reference(old):
        return
    try:
        cycle = get_resource(session, resource=BILLING_CYCLE_SPECIFICATION, resource_id=cycle_id)
    except NotFound:
        raise InvalidInput(
            "Unknown bill cycle",
            field="billStructure.cycleSpecification.id",
            detail=f"no billingCycleSpecification with id {cycle_id}",
        ) from None
    domain.check_cycle_usable(cycle, now)


def _normalise_contacts(document: Document) -> Document:
    """E.164 phones, e-mail addresses and countries, by the party room's rules."""
    contacts = document.get("contact")
    if not isinstance(contacts, list):
        return document
    cleaned = []
    for index, contact in enumerate(contacts):
        try:
            cleaned.append(party.normalise_contact_media(dict(contact)))
        except InvalidInput as exc:
            field = f"contact[{index}].{exc.field}" if exc.field else f"contact[{index}]"
            raise InvalidInput(exc.reason, field=field, detail=exc.detail) from None
    return {**document, "contact": cleaned}


def _keep_last_modified_if_unchanged(old: Document, new: Document) -> Document:
    # A patch that changes nothing must not look like a change (no event, same lastModified).
    def rest(document: Document) -> Document:
        return {k: v for k, v in document.items() if k != "lastModified"}

    if rest(old) == rest(new) and "lastModified" in old:
        return {**new, "lastModified": old["lastModified"]}
    return new


class _CycleRules:
    def on_create(self, session: Session, document: Document, now: datetime) -> Document:
        return domain.normalise_cycle_specification(document)

    def on_update(self, session: Session, old: Document, new: Document, now: datetime) -> Document:
        return domain.normalise_cycle_specification(new)

    def on_delete(self, session: Session, document: Document, now: datetime) -> None:
        if repository.accounts_using_cycle(session, document["id"]) > 0:
            raise Conflict(
                "Bill cycle in use", field="id", detail="accounts still bill on this cycle"
            )


_ACCOUNT_COLUMNS = {
    "id": "id",
    "name": "name",
    "state": "state",
    "accountType": "account_type",
    "paymentStatus": "payment_status",
    "currency": "currency",
    "billStructure.cycleSpecification.id": "bill_cycle_id",
    "lastModified": "last_modified",
}


def _account(name: str, model: type[models.BillingAccount] | type[models.PartyAccount]) -> Resource:
    """billingAccount and partyAccount share the TMF666 Account shape and all its rules."""
    return Resource(
        api=ACCOUNT_API,
        name=name,
        model=model,
        columns=_ACCOUNT_COLUMNS,
        refs=("relatedParty.id", "accountRelationship.account.id"),
        state_field="state",
        rules=_AccountRules(),
        server_fields=frozenset({"id", "href", "lastModified"}),
        write_roles=WRITERS,
    )


BILLING_ACCOUNT = _account("billingAccount", models.BillingAccount)
PARTY_ACCOUNT = _account("partyAccount", models.PartyAccount)
BILLING_CYCLE_SPECIFICATION = Resource(
    api=ACCOUNT_API,
    name="billingCycleSpecification",
    model=models.BillingCycleSpecification,
    columns={
        "id": "id",
        "name": "name",
        "frequency": "frequency",
        "billingDateShift": "billing_date_shift",
        "validFor.startDateTime": "valid_from",
    },
    rules=_CycleRules(),
    write_roles=WRITERS,
)
RESOURCES = (BILLING_ACCOUNT, BILLING_CYCLE_SPECIFICATION, PARTY_ACCOUNT)
