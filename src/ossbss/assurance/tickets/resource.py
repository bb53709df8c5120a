"""TMF621 as the TMF machinery sees it: the API (spec, base path, hub) and the resource
declaration whose columns and reference paths the list filters compile against."""

from __future__ import annotations

from ossbss.assurance.tickets.models import TroubleTicket
from ossbss.tmf import Api, Resource

TICKET_API = Api(
    name="troubleTicket",
    spec_file="TMF621-TroubleTicket-v4.0.0.swagger.json",
    title="TMF621 Trouble Ticket",
)
WRITERS = frozenset({"admin", "noc", "csr"})
DELETERS = frozenset({"admin"})
# Set by the server; a PATCH naming one is refused (400). On create they are overwritten.
SERVER_FIELDS = frozenset(
    {
        "id",
        "href",
        "creationDate",
        "lastUpdate",
        "statusChangeDate",
        "statusChange",
        "resolutionDate",
        "expectedResolutionDate",
        "sla",
    }
)

TROUBLE_TICKET = Resource(
    api=TICKET_API,
    name="troubleTicket",
    model=TroubleTicket,
    columns={
        "status": "status",
        "severity": "severity",
        "priority": "priority",
        "ticketType": "ticket_type",
    },
    refs=("relatedParty.id", "relatedEntity.id"),
    state_field="status",
    server_fields=SERVER_FIELDS,
    write_roles=WRITERS,
)
