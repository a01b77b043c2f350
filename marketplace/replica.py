"""Where each statement goes: the public catalog's read-only routes read from the replica (DATABASE_REPLICA_URL);
every other route, every command and job, and every write use the primary.

Routing lives in the session class (db.session's get_bind), so no view or service knows there is a replica.
A read-only route never writes, on either database: a flush or a DML statement inside one raises
ReadOnlyRouteError, and on PostgreSQL its transactions are also opened READ ONLY, so even a raw statement is
refused by the server instead of reaching a replica that would reject it less clearly (or a writable copy that
would accept it and diverge).

A replica lags the primary by a moment. Only anonymous requests read it: a signed-in browser (the session names a
user) or an API client (an Authorization header) reads the primary, so a broker who just listed a product and
is sent to its page sees it at once.
"""

from __future__ import annotations

import threading

from flask import Flask, current_app, has_request_context, request, session
from flask_sqlalchemy.session import Session
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

# The public catalog and certificate verification (DESIGN.md: "read replicas for the catalog"), by endpoint name
# so features need not know about replicas. Each must only read: the guard below makes sure.
READ_ONLY_ENDPOINTS = frozenset({
    "catalog.home",                      # GET /            search page with facets
    "catalog.listing",                   # GET /listings/<id>
    "catalog_api.search_listings",       # GET /api/v1/listings
    "catalog_api.get_listing",           # GET /api/v1/listings/<id>
    "dcat.catalog",                      # GET /catalog.jsonld
    "registration.verify",               # GET /verify?number=
    "registration.certificate",          # GET /certificates/<number>
    "registration_api.get_certificate",  # GET /api/v1/certificates/<number> (receipt with inclusion proof)
})


class ReadOnlyRouteError(RuntimeError):
    """Something tried to write inside a route that only reads (and may be reading a replica)."""


def read_only_request() -> bool:
    """Whether the current request is one of the read-only routes (False outside requests: CLI, jobs)."""
    return has_request_context() and request.endpoint in READ_ONLY_ENDPOINTS


def _reads_replica() -> bool:
    """Whether this request's statements go to the replica: an anonymous request to a read-only route."""
    if not read_only_request():
        return False
    return "_user_id" not in session and "Authorization" not in request.headers


_creating = threading.Lock()


def replica_engine(app: Flask) -> Engine | None:
    """The app's engine for DATABASE_REPLICA_URL (None when unset), made on first use with the primary's options.

    Kept apart from Flask-SQLAlchemy's SQLALCHEMY_BINDS: a bind there gets a metadata of its own that create_all
    and drop_all would then run against a read-only server."""
    url = app.config.get("DATABASE_REPLICA_URL")
    if not url:
        return None
    engine = app.extensions.get("replica_engine")
    if engine is None:
        with _creating:
            engine = app.extensions.get("replica_engine")
            if engine is None:
                engine = create_engine(url, **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
                app.extensions["replica_engine"] = engine
    return engine


class RoutingSession(Session):
    """db.session: the replica for anonymous reads on read-only routes, the primary for everything else."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if getattr(clause, "is_dml", False) and read_only_request():  # insert(), update(), delete() statements
            _refuse_write()
        if bind is None and _reads_replica():
            engine = replica_engine(current_app)
            if engine is not None:
                return engine
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


def _refuse_write() -> None:
    raise ReadOnlyRouteError(f"{request.endpoint} is a read-only route (marketplace.replica.READ_ONLY_ENDPOINTS) "
                             "but tried to write; move the write to another route")


@event.listens_for(RoutingSession, "before_flush")
def _no_flush(_session, _flush_context, _instances) -> None:
    # Called only when the session holds changes to write (added, changed or deleted objects).
    if read_only_request():
        _refuse_write()


@event.listens_for(RoutingSession, "after_begin")
def _read_only_transaction(_session, _transaction, connection) -> None:
    # The first statement of the transaction; SQLite has no per-transaction equivalent (get_bind guards it).
    if read_only_request() and connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")
