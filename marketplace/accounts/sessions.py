"""Idle and absolute timeouts of browser sessions (ASVS 7.3.1, 7.3.2), from times kept in the signed session cookie.

Signing out and disabling an account end sessions server-side through the user's session generation (the
user loader in app_factory); these clocks end the ones nobody signs out of."""

from __future__ import annotations

import time

from flask import current_app, session


def start() -> None:
    """At sign-in, after login_user: the session's absolute and idle clocks start now."""
    session["signed_in_at"] = session["seen_at"] = time.time()


def fresh() -> bool:
    """Whether the session is within both limits; the clock of last use is rewritten at most once a minute, so
    most responses do not resend the cookie."""
    now = time.time()
    started, seen = session.get("signed_in_at"), session.get("seen_at")
    if not isinstance(started, (int, float)) or not isinstance(seen, (int, float)):
        return False
    config = current_app.config
    if now - started > config["MARKETPLACE_SESSION_MAX_HOURS"] * 3600 \
            or now - seen > config["MARKETPLACE_SESSION_IDLE_MINUTES"] * 60:
        return False
    if now - seen > 60:
        session["seen_at"] = now
    return True
