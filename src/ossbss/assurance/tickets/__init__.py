"""Trouble tickets (TMF621) and their SLA clocks, opened by hand or by the network (a
customer-impacting root alarm), resolved when the root alarm clears. Part of the assurance
room: other rooms reach it through ``ossbss.assurance``."""

from ossbss.assurance.tickets.api import add_ticket_routes
from ossbss.assurance.tickets.automation import (
    open_for_root_alarm,
    root_alarm_cleared,
    subscribe_tickets,
)
from ossbss.assurance.tickets.cli import add_commands as add_ticket_commands
from ossbss.assurance.tickets.domain import STATUSES as TICKET_STATUSES
from ossbss.assurance.tickets.domain import SlaPolicy
from ossbss.assurance.tickets.domain import allowed_moves as ticket_moves
from ossbss.assurance.tickets.listing import (
    DueTicket,
    list_tickets,
    ticket_queue,
    tickets_near_breach,
)
from ossbss.assurance.tickets.policy import load_policy, parse_policy
from ossbss.assurance.tickets.resource import TICKET_API, TROUBLE_TICKET
from ossbss.assurance.tickets.service import (
    add_note,
    create_ticket,
    delete_ticket,
    get_ticket,
    patch_ticket,
)
from ossbss.assurance.tickets.sweep import SlaSweep, sweep_sla
from ossbss.assurance.tickets.wiring import configure as configure_tickets

__all__ = [
    "TICKET_API",
    "TICKET_STATUSES",
    "TROUBLE_TICKET",
    "DueTicket",
    "SlaPolicy",
    "SlaSweep",
    "add_note",
    "add_ticket_commands",
    "add_ticket_routes",
    "configure_tickets",
    "create_ticket",
    "delete_ticket",
    "get_ticket",
    "list_tickets",
    "load_policy",
    "open_for_root_alarm",
    "parse_policy",
    "patch_ticket",
    "root_alarm_cleared",
    "subscribe_tickets",
    "sweep_sla",
    "ticket_moves",
    "ticket_queue",
    "tickets_near_breach",
]

# A customer's own tickets (self-care).
from ossbss.assurance.tickets.of_customer import (
    ticket_of_customer,
    tickets_of_customer,
)

__all__ += ["ticket_of_customer", "tickets_of_customer"]
