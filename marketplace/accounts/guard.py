"""Who is acting on an API call: a bearer token's user, or the signed-in browser user with a CSRF token."""

from __future__ import annotations

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6750 import InsufficientScopeError
from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from marketplace.accounts.oauth import require_oauth
from marketplace.errors import Forbidden, Unauthorized

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def bearer_call() -> bool:
    return request.headers.get("Authorization", "").lower().startswith("bearer ")


def api_actor(scope: str | None = None, *, optional: bool = False):
    """Return the acting user, or raise Unauthorized/Forbidden; None only when optional and anonymous."""
    if bearer_call():
        try:
            token = require_oauth.acquire_token([scope] if scope else None)
        except InsufficientScopeError:
            raise Forbidden(_("The token lacks the scope '%(scope)s'.", scope=scope)) from None
        except OAuth2Error as exc:
            raise Unauthorized(_("The bearer token is not valid (%(error)s).", error=exc.error)) from None
        user = token.user
        if not user.active or (user.organization is not None and user.organization.state != "approved"):
            raise Unauthorized(_("The account behind this token is disabled."))
        return user
    if current_user.is_authenticated:
        if request.method not in SAFE_METHODS:
            try:
                validate_csrf(request.headers.get("X-CSRFToken"))
            except (ValidationError, CSRFError):
                raise Forbidden(_("A valid X-CSRFToken header is required with the session cookie.")) from None
        return current_user._get_current_object()
    if optional:
        return None
    raise Unauthorized(_("Authenticate with a bearer token from POST /oauth/token."))
