"""iam: users, roles and API keys."""

from ossbss.iam.auth import ApiKeyAuthorizer
from ossbss.iam.domain import ROLES, generate_key
from ossbss.iam.service import (
    Principal,
    authenticate,
    create_api_key,
    create_user,
    ensure_admin_key,
    revoke_api_key,
)

__all__ = [
    "ROLES",
    "ApiKeyAuthorizer",
    "Principal",
    "authenticate",
    "create_api_key",
    "create_user",
    "ensure_admin_key",
    "generate_key",
    "revoke_api_key",
]
