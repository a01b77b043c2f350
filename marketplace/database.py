"""Database behaviour both backends share: durable SQLite settings, write transactions, the unit of work."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from marketplace.errors import Conflict
from marketplace.extensions import db

# Set while a service runs its unit of work: SQLite then takes the write lock when the transaction
# begins (BEGIN IMMEDIATE), so two writers queue instead of failing with SQLITE_BUSY on upgrade.
_writing = contextvars.ContextVar("writing", default=False)


def configure_engine(engine: Engine) -> None:
    """Install the SQLite pragmas and explicit transaction control; PostgreSQL needs nothing here."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # pysqlite's own transaction handling is bypassed so that BEGIN IMMEDIATE can be emitted.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        # SQLite's default page cache is 2 MiB: searches and facet counts touch far more than that.
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _writing.get() else "BEGIN")


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Run one use case as one transaction: commit everything it wrote (and its audit rows) or nothing."""
    session = db.session()
    if session.in_transaction() and not (session.new or session.dirty or session.deleted):
        # Close the read transaction a request opened (loading the user) so the write one starts fresh.
        session.rollback()
    token = _writing.set(True)
    try:
        yield
        session.commit()
    except (IntegrityError, StaleDataError) as exc:
        session.rollback()
        raise Conflict(_("The object was changed by someone else at the same time; reload and try again.")) from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        _writing.reset(token)
