"""The TMF630 REST machinery, written once for every resource of every room."""

from ossbss.tmf.api import (
    Authorizer,
    Edge,
    error_body,
    error_response,
    json_response,
    tmf_router,
)
from ossbss.tmf.characteristics import (
    characteristic_list,
    characteristic_text,
    characteristic_values,
)
from ossbss.tmf.events import HubNotificationDue, ResourceChanged
from ossbss.tmf.hub import has_subscribers, subscribe_handlers
from ossbss.tmf.models import RefIndex
from ossbss.tmf.pagecache import PAGES
from ossbss.tmf.patch import merge_patch
from ossbss.tmf.query import ListQuery, paging, parse_list_query
from ossbss.tmf.resource import Api, Document, DocumentTable, Resource, Rules
from ossbss.tmf.rules import check_initial, check_period, check_transition
from ossbss.tmf.service import (
    check_trusted_writes,
    create_resource,
    delete_resource,
    get_resource,
    import_resources,
    is_trusted,
    list_resources,
    patch_resource,
    trusted,
)
from ossbss.tmf.specs import Spec
from ossbss.tmf.store import exists, reindex

__all__ = [
    "PAGES",
    "Api",
    "Authorizer",
    "Document",
    "DocumentTable",
    "Edge",
    "HubNotificationDue",
    "ListQuery",
    "RefIndex",
    "Resource",
    "ResourceChanged",
    "Rules",
    "Spec",
    "characteristic_list",
    "characteristic_text",
    "characteristic_values",
    "check_initial",
    "check_period",
    "check_transition",
    "check_trusted_writes",
    "create_resource",
    "delete_resource",
    "error_body",
    "error_response",
    "exists",
    "get_resource",
    "has_subscribers",
    "import_resources",
    "is_trusted",
    "json_response",
    "list_resources",
    "merge_patch",
    "paging",
    "parse_list_query",
    "patch_resource",
    "reindex",
    "subscribe_handlers",
    "tmf_router",
    "trusted",
]
