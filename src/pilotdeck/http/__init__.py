"""HTTP plumbing shared by the API and the gateway: problem+json errors and the
``require(permission)`` dependency. Each app factory says how a token becomes a
principal (``install(app, authenticate)``); routes only say what they need."""

from pilotdeck.http.auth import (
    PERMISSION_ATTR,
    Authenticate,
    declared_permissions,
    public,
    require,
    set_authenticator,
)
from pilotdeck.http.problems import MEDIA_TYPE, install_problems, problem

__all__ = ["MEDIA_TYPE", "PERMISSION_ATTR", "Authenticate", "declared_permissions",
           "install_problems", "problem", "public", "require",
           "set_authenticator"]
