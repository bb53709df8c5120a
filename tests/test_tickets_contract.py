"""The generic TMF630 contract suite (test_tmf_contract.py) run against TMF621 troubleTicket,
whose routes are its own (the SLA is computed on read). DELETE is left out: a ticket is
deleted only once closed, cancelled or rejected (test_tickets_api covers it)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from test_tmf_contract import (  # noqa: F401  (collected here, with this module's cases)
    test_bad_input_is_400_and_writes_nothing,
    test_fields_selects_only_id_href_and_named_attributes,
    test_filter_exact_or_and_range,
    test_filter_on_an_extension_attribute_runs_in_the_database,
    test_get_unknown_id_is_404_with_error_body,
    test_list_pages_with_offset_limit_and_count_headers,
    test_nul_characters_are_refused_not_a_server_error,
    test_patch_accepts_plain_json_and_refuses_other_media_types,
    test_patch_and_delete_of_unknown_id_are_404,
    test_patch_is_a_merge_patch,
    test_patch_refuses_server_set_attributes_and_changes_nothing,
    test_polymorphism_and_extensions_come_back_intact,
    test_post_returns_201_location_and_the_resource,
    test_readonly_may_read_but_not_write,
    test_requests_without_a_key_are_401,
    test_schema_location_must_be_a_uri,
    test_sort_ascending_and_descending,
)
from tickets_world import TICKETS
from tmf_cases import Body, Case


def _ticket(_client: TestClient, n: int) -> Body:
    return {
        "name": f"Ticket {n:03d}",
        "description": "No dial tone",
        "severity": "minor",
        "ticketType": "troubleTicket",
    }


TICKET_CASE = Case("troubleTicket", TICKETS, _ticket, ("description", "changed"))
pytestmark = pytest.mark.parametrize("case", [TICKET_CASE], ids=str)
