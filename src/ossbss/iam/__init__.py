"""iam: users, roles and API keys."""

from ossbss.iam.auth import ApiKeyAuthorizer
from ossbss.iam.domain import CUSTOMER, ROLES, generate_key, may
from ossbss.iam.service import (
    Principal,
    authenticate,
    create_api_key,
    create_user,
    ensure_admin_key,
    principal_of,
    revoke_api_key,
    set_password,
    sign_in,
)

__all__ = [
    "CUSTOMER",
    "ROLES",
    "ApiKeyAuthorizer",
    "Principal",
    "authenticate",
    "create_api_key",
    "create_user",
    "ensure_admin_key",
    "generate_key",
    "may",
    "principal_of",
    "revoke_api_key",
    "set_password",
    "sign_in",
]
