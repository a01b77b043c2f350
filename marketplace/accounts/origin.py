"""The Origin check of cookie-authenticated state changes (ASVS 3.5.1): a browser sends the page's origin with a
POST, and a request carrying our session cookie from another site's page is refused, CSRF token or not."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, request
from flask_babel import gettext as _

from marketplace.accounts.guard import SAFE_METHODS, bearer_call
from marketplace.errors import Forbidden

# Stripe's webhooks carry no cookie of ours and are verified by their signature.
EXEMPT_BLUEPRINTS = ("webhooks",)
DEFAULT_PORTS = {"http": "80", "https": "443"}


def _netloc(url: str) -> str | None:
    """host[:port] of a URL, lower-case, without the scheme's default port; None when it has no host."""
    parts = urlsplit(url)
    if not parts.hostname:
        return None
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    try:
        port = parts.port
    except ValueError:
        return None
    if port is None or str(port) == DEFAULT_PORTS.get(parts.scheme):
        return host
    return f"{host}:{port}"


def _own_netloc(scheme: str) -> str:
    # Read with the claimed URL's scheme: behind a TLS-terminating proxy the app itself may only see http.
    return _netloc(f"{scheme or 'http'}://{request.host}") or ""


def _with_session_cookie() -> bool:
    names = (current_app.config["SESSION_COOKIE_NAME"], current_app.config.get("REMEMBER_COOKIE_NAME",
                                                                                "remember_token"))
    return any(name in request.cookies for name in names)


def refuse_foreign_origin() -> None:
    if request.method in SAFE_METHODS or request.blueprint in EXEMPT_BLUEPRINTS:
        return
    if bearer_call() or not _with_session_cookie():
        return
    # Origin first; a browser that omits it (older ones, some same-origin form posts) still sends the Referer,
    # which our Referrer-Policy (same-origin) keeps for our own pages. With neither, the CSRF token decides.
    claimed = request.headers.get("Origin") or request.headers.get("Referer")
    if claimed is None:
        return
    if _netloc(claimed) != _own_netloc(urlsplit(claimed).scheme):
        raise Forbidden(_("This request comes from another site's page; it is refused."))


def init_app(app: Flask) -> None:
    app.before_request(refuse_foreign_origin)
