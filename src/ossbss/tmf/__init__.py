"""The TMF630 REST machinery, written once for every resource of every room."""

from ossbss.tmf.api import (
    Authorizer,
    Edge,
    error_body,
    error_response,
    json_response,
    tmf_router,
)
from ossbss.tmf.events import HubNotificationDue, ResourceChanged
from ossbss.tmf.hub import subscribe_handlers
from ossbss.tmf.models import RefIndex
from ossbss.tmf.pagecache import PAGES
from ossbss.tmf.patch import merge_patch
from ossbss.tmf.query import ListQuery, parse_list_query
from ossbss.tmf.resource import Api, Document, DocumentTable, NoRules, Resource, Rules
from ossbss.tmf.rules import check_initial, check_period, check_transition
from ossbss.tmf.service import (
    create_resource,
    delete_resource,
    full_document,
    get_resource,
    import_resources,
    list_resources,
    patch_resource,
)
from ossbss.tmf.specs import Spec, load_spec
from ossbss.tmf.store import exists, value_at, values_at

__all__ = [
    "PAGES",
    "Api",
    "Authorizer",
    "Document",
    "DocumentTable",
    "Edge",
    "HubNotificationDue",
    "ListQuery",
    "NoRules",
    "RefIndex",
    "Resource",
    "ResourceChanged",
    "Rules",
    "Spec",
    "check_initial",
    "check_period",
    "check_transition",
    "create_resource",
    "delete_resource",
    "error_body",
    "error_response",
    "exists",
    "full_document",
    "get_resource",
    "import_resources",
    "json_response",
    "list_resources",
    "load_spec",
    "merge_patch",
    "parse_list_query",
    "patch_resource",
    "subscribe_handlers",
    "tmf_router",
    "value_at",
    "values_at",
]
