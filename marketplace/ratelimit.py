"""Rate limits shared by every app server: one `limits` limiter per app, on Redis when REDIS_URL is set, else memory;
and the throttle of failed credential checks (sign-in, signing re-authentication, OAuth client secrets)."""

from __future__ import annotations

import time

from flask import current_app, has_request_context, request
from flask_babel import gettext as _
from limits import RateLimitItemPerSecond, storage, strategies

from marketplace.errors import N_, DomainError


class TooManyAttempts(DomainError):
    status = 429
    title = N_("Too many requests")

    def __init__(self, detail: str, *, retry_after: int):
        super().__init__(detail)
        self.retry_after = retry_after


def limiter() -> strategies.FixedWindowRateLimiter:
    """The app's fixed-window limiter: Redis when REDIS_URL is set (shared by every app server), else memory."""
    shared = current_app.extensions.get("marketplace_limiter")
    if shared is None:
        shared = strategies.FixedWindowRateLimiter(
            storage.storage_from_string(current_app.config.get("REDIS_URL") or "memory://"))
        current_app.extensions["marketplace_limiter"] = shared
    return shared


def _failures() -> RateLimitItemPerSecond:
    config = current_app.config
    return RateLimitItemPerSecond(int(config.get("MARKETPLACE_SIGNIN_MAX_FAILURES", 5)),
                                  int(config.get("MARKETPLACE_SIGNIN_WINDOW_SECONDS", 900)))


def _keys(kind: str, account: str) -> tuple[str, str, str]:
    # Per account and per client address: one attacker cannot lock a user out from everywhere else. The address
    # is read here, not passed by every caller, so services stay free of request plumbing.
    source = (request.remote_addr or "-") if has_request_context() else "-"
    return "credential-failures", f"{kind}:{account.strip().lower()}", source


def refuse_if_throttled(kind: str, account: str) -> None:
    """Raise TooManyAttempts while this account+address has spent its failures: even the right secret waits."""
    keys = _keys(kind, account)
    if not limiter().test(_failures(), *keys):
        reset_at, _remaining = limiter().get_window_stats(_failures(), *keys)
        raise TooManyAttempts(_("Too many failed attempts; try again in %(minutes)d minutes.",
                                minutes=max(1, round((reset_at - time.time()) / 60))),
                              retry_after=max(1, int(reset_at - time.time())))


def record_failure(kind: str, account: str) -> None:
    limiter().hit(_failures(), *_keys(kind, account))


def record_success(kind: str, account: str) -> None:
    """A success before the limit forgets earlier typos."""
    limiter().clear(_failures(), *_keys(kind, account))
