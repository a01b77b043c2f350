"""HTTP caching of the public pages and reads: validators (ETag, Last-Modified), conditional 304 answers, and who
may keep a copy (Cache-Control), decided in one place for every public endpoint.

A view opts in with `@httpcache.public` and, where its content has a modification time, names it with
`httpcache.modified(when)`. The ETag is a hash of the body as sent, so any change anywhere on the page (an offer, a
certificate's status, a provider's name) is a new validator on the very next request; Last-Modified lets clients
that only keep dates revalidate too. Werkzeug does the comparisons (`Response.make_conditional`).

The catalog's public reads are also kept server-side (`@httpcache.public(stamp=...)`): an anonymous request
for the same URL, language and host is answered from the copy made for the same `stamp` (the catalog's newest
change, one indexed read) without running the view, for at most MARKETPLACE_PUBLIC_MAX_AGE seconds, the time
a shared cache may keep it anyway. A changed listing moves the stamp, so the next search is computed afresh;
what the stamp does not see (a provider renaming itself) is at most that old, as in any shared cache.
Only responses that are shareable by the rule below are kept, so a copy never holds anyone's own content.

The stamp itself is read at most once per MARKETPLACE_PUBLIC_STAMP_SECONDS per process, and again at once after
any write committed in the process: a repeat then touches no database at all (the read cost half of such a request). A
change committed by another process or machine shows there within that many seconds, far inside the max-age that
browsers and shared caches are allowed anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from itertools import count
from time import monotonic

from flask import Response, current_app, g, make_response, request, session
from flask_babel import get_locale
from flask_caching import Cache
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session

CACHEABLE_METHODS = ("GET", "HEAD")
# Pages are rendered per language (Accept-Language, or the choice kept in the session cookie), and a signed-in
# user's cookie brings their own controls: a shared cache must key on both.
VARY = ("Accept-Language", "Cookie")
# The server-side copies: per process by default (no set-up), CACHE_TYPE/CACHE_* in the config for another
# Flask-Caching backend. Keys carry the stamp, so a copy in any process is right until the catalog changes.
responses = Cache()
KEPT_HEADERS = ("Content-Type", "Last-Modified", "Content-Language")


def modified(when: datetime | None) -> None:
    """Record when the content of the response being built last changed (the newest of several calls wins)."""
    if when is None:
        return
    known = g.get("_httpcache_modified")
    g._httpcache_modified = when if known is None or when > known else known


def public(view=None, *, stamp: Callable[[], object] | None = None):
    """Make a view's successful GET/HEAD answers conditional and, when nothing in them is anyone's own, publicly
    cacheable for MARKETPLACE_PUBLIC_MAX_AGE seconds; otherwise `private, no-cache`. With `stamp` (a cheap read of
    when the content last changed) anonymous answers are also kept server-side, keyed by it, and its value is the
    response's Last-Modified when a datetime."""
    if view is None:
        return lambda view: public(view, stamp=stamp)

    @wraps(view)
    def wrapper(*args, **kwargs):
        key = None
        if stamp is not None and _anonymous():
            when = _remembered(stamp)
            modified(when if isinstance(when, datetime) else None)
            key = _key(when)
            kept = responses.get(key)
            if kept is not None:
                g.pop("_httpcache_modified", None)
                response = Response(kept["body"], headers=kept["headers"])
                return response.make_conditional(request)
        response = _decorated(make_response(view(*args, **kwargs)))
        # Only a whole answer is kept: a 304 (this client already had the body) has none to give the next one.
        if key is not None and response.status_code == 200 and response.cache_control.public \
                and not response.is_streamed:
            responses.set(key, {"body": response.get_data(), "headers": [
                (name, value) for name, value in response.headers.items()
                if name in KEPT_HEADERS or name in ("ETag", "Cache-Control", "Vary")]},
                timeout=current_app.config["MARKETPLACE_PUBLIC_MAX_AGE"])
        return response

    return wrapper


# Bumped by every commit in this process that wrote anything; a remembered stamp from an older generation is read
# again. (Only writes count: a request's own read-only transaction ending must not forget the stamp.)
_commits = count()
_generation = next(_commits)
_WROTE = "httpcache.wrote"


@event.listens_for(Session, "after_flush")
def _flushed(session, _flush_context) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state) -> None:
    if not state.is_select:  # bulk UPDATE/DELETE/INSERT, and text() statements, which may write
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_commit")
def _forget_stamps(session) -> None:
    global _generation
    if session.info.pop(_WROTE, False):
        _generation = next(_commits)


@event.listens_for(Session, "after_rollback")
def _wrote_nothing(session) -> None:
    session.info.pop(_WROTE, None)


def _remembered(stamp: Callable[[], object]):
    """`stamp()`, read again only when the last read is older than MARKETPLACE_PUBLIC_STAMP_SECONDS or a commit in
    this process came after it. Kept per app, so two apps in one process (the tests) never share a value."""
    now = monotonic()
    kept = current_app.extensions.setdefault("httpcache.stamps", {})
    value, until, generation = kept.get(stamp, (None, 0.0, -1))
    if now >= until or generation != _generation:
        generation = _generation
        value = stamp()
        kept[stamp] = (value, now + current_app.config["MARKETPLACE_PUBLIC_STAMP_SECONDS"], generation)
    return value


def forget() -> None:
    """Drop this app's copies and remembered stamps, as a restart would: the next request computes and reads afresh."""
    responses.clear()
    current_app.extensions.pop("httpcache.stamps", None)


def _decorated(response):
    if request.method not in CACHEABLE_METHODS or response.status_code != 200:
        return response
    when = g.pop("_httpcache_modified", None)
    if when is not None:
        response.last_modified = when
    response.vary.update(VARY)
    # Replaces whatever the view set, so the rule below is the only one.
    response.headers.pop("Cache-Control", None)
    if _shareable(response):
        response.cache_control.public = True
        response.cache_control.max_age = current_app.config["MARKETPLACE_PUBLIC_MAX_AGE"]
    else:
        response.cache_control.private = True
        response.cache_control.no_cache = True
    response.add_etag()
    return response.make_conditional(request)


def _anonymous() -> bool:
    """Whether the request may be answered from a copy: a plain GET with no credentials and nothing in the
    session that the view would consume (a flashed message) or answer differently for."""
    return (request.method == "GET" and "Authorization" not in request.headers and "_flashes" not in session
            and not current_user.is_authenticated)


def _key(when) -> str:
    # The host: bodies hold absolute links (JSON-LD, certificate URLs). The locale: pages and messages per language.
    # Read from the WSGI environ as sent (after ProxyFix): only a lookup key, and Werkzeug's normalised URLs cost a
    # fifth of a repeat's time.
    environ = request.environ
    return (f"{environ['wsgi.url_scheme']}://{environ.get('HTTP_HOST', '')}{environ.get('SCRIPT_NAME', '')}"
            f"{environ.get('PATH_INFO', '')}?{environ.get('QUERY_STRING', '')}|{get_locale()}|"
            f"{when.isoformat() if when else None}")


def _shareable(response) -> bool:
    """Whether a shared cache may hand this response to anyone: no credentials came with the request, no CSRF
    token went into the body, and no cookie goes out with it."""
    # RFC 9111 3.5: a response to a request with Authorization is the caller's (bearer-token clients).
    if "Authorization" in request.headers or current_user.is_authenticated:
        return False
    # Flask-WTF keeps the token it rendered into a form in `g`; such a body is bound to one session.
    if current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token") in g:
        return False
    # A session written back (a language choice, a flashed message) is sent as Set-Cookie after this runs.
    if current_app.session_interface.should_set_cookie(current_app, session) or "Set-Cookie" in response.headers:
        return False
    return True
