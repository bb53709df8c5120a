"""The party room's TMF resources: TMF632 individual and organization, TMF629 customer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ossbss.kernel.errors import Conflict, InvalidInput
from ossbss.party import domain, models, repository
from ossbss.tmf import Api, Document, Resource, check_initial, check_period, check_transition

PARTY_API = Api(name="party", spec_file="TMF632-Party-v4.0.0.swagger.json", title="TMF632 Party")
CUSTOMER_API = Api(
    name="customerManagement",
    spec_file="TMF629-Customer-v4.0.0.swagger.json",
    title="TMF629 Customer",
)
WRITERS = frozenset({"admin", "csr"})
# Contact media found by value (customer search: party/search.py) through tmf_ref_index.
CONTACT_REFS = (
    "contactMedium.characteristic.emailAddress",
    "contactMedium.characteristic.phoneNumber",
)


class _PartyRules:
    """Individuals and organisations share their rules; only the lifecycle differs."""

    def __init__(self, lifecycle: dict[str, frozenset[str]]) -> None:
        self.lifecycle = lifecycle

    def on_create(self, session: Session, document: Document, now: datetime) -> Document:
        document.setdefault("status", "initialized")
        check_initial(frozenset({"initialized", "validated"}), document["status"], field="status")
        return self._check(document)

    def on_update(self, session: Session, old: Document, new: Document, now: datetime) -> Document:
        check_transition(self.lifecycle, old.get("status"), new.get("status"), field="status")
        return self._check(new)

    def on_delete(self, session: Session, document: Document, now: datetime) -> None:
        return None

    def _check(self, document: Document) -> Document:
        return domain.normalise_contact_media(document)


class _IndividualRules(_PartyRules):
    def on_delete(self, session: Session, document: Document, now: datetime) -> None:
        _refuse_if_engaged(session, document)


class _OrganizationRules(_PartyRules):
    def on_delete(self, session: Session, document: Document, now: datetime) -> None:
        _refuse_if_engaged(session, document)


def _refuse_if_engaged(session: Session, document: Document) -> None:
    if repository.customer_count_for_party(session, document["id"]) > 0:
        raise Conflict("Party in use", field="id", detail="a customer still engages this party")


class _CustomerRules:
    def on_create(self, session: Session, document: Document, now: datetime) -> Document:
        document.setdefault("status", "Initialized")
        check_initial(domain.CUSTOMER_INITIAL, document["status"], field="status")
        document.setdefault("validFor", {"startDateTime": now.isoformat().replace("+00:00", "Z")})
        return self._check(session, document)

    def on_update(self, session: Session, old: Document, new: Document, now: datetime) -> Document:
        check_transition(
            domain.CUSTOMER_LIFECYCLE, old.get("status"), new.get("status"), field="status"
        )
        return self._check(session, new)

    def on_delete(self, session: Session, document: Document, now: datetime) -> None:
        return None

    def _check(self, session: Session, document: Document) -> Document:
        check_period(document)
        party = document["engagedParty"]
        if not repository.party_exists(session, party.get("id"), party.get("@referredType")):
            raise InvalidInput(
                "Unknown engaged party",
                field="engagedParty.id",
                detail=f"no individual or organization {party.get('id')}",
            )
        return domain.normalise_contact_media(document)


INDIVIDUAL = Resource(
    api=PARTY_API,
    name="individual",
    model=models.Individual,
    columns={
        "id": "id",
        "givenName": "given_name",
        "familyName": "family_name",
        "status": "status",
    },
    refs=("relatedParty.id", *CONTACT_REFS),
    state_field="status",
    rules=_IndividualRules(domain.INDIVIDUAL_LIFECYCLE),
    write_roles=WRITERS,
)
ORGANIZATION = Resource(
    api=PARTY_API,
    name="organization",
    model=models.Organization,
    columns={"id": "id", "tradingName": "trading_name", "name": "name", "status": "status"},
    refs=("relatedParty.id", *CONTACT_REFS),
    state_field="status",
    rules=_OrganizationRules(domain.ORGANIZATION_LIFECYCLE),
    write_roles=WRITERS,
)
CUSTOMER = Resource(
    api=CUSTOMER_API,
    name="customer",
    model=models.Customer,
    columns={
        "id": "id",
        "name": "name",
        "status": "status",
        "engagedParty.id": "engaged_party_id",
        "validFor.startDateTime": "valid_from",
    },
    refs=("relatedParty.id", "account.id", "account.name", *CONTACT_REFS),
    state_field="status",
    rules=_CustomerRules(),
    write_roles=WRITERS,
)
RESOURCES = (INDIVIDUAL, ORGANIZATION, CUSTOMER)
