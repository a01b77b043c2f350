"""Migrations: one head, and `upgrade head` on an empty database gives exactly the models' schema."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, text

from marketplace.app_factory import ROOT, create_app
from marketplace.catalog import search_index
from marketplace.catalog.search_index import include_object
from marketplace.extensions import db


def test_single_head():
    script = ScriptDirectory(str(ROOT / "migrations"))
    assert len(script.get_heads()) == 1
    for revision in script.walk_revisions():
        assert revision.doc.strip(), f"revision {revision.revision} has no message"


def test_the_migrations_build_the_same_full_text_index_as_the_models():
    script = ScriptDirectory(str(ROOT / "migrations"))
    # Each revision that changes the index copies its statements; oldest first, they add up to search_index's.
    modules = [revision.module for revision in reversed(list(script.walk_revisions()))]
    assert tuple(s for module in modules for s in getattr(module, "SQLITE_FTS", ())) == search_index.SQLITE_DDL
    assert tuple(s for module in modules for s in getattr(module, "POSTGRES_FTS", ())) == search_index.POSTGRES_DDL


@contextmanager
def _empty_database(tmp_path):
    url = os.environ.get("DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    base = url.replace("postgresql://", "postgresql+psycopg://", 1)
    name = f"exchange_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0"))
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def test_upgrade_head_matches_the_models_and_downgrades_cleanly(tmp_path):
    with _empty_database(tmp_path) as url:
        app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
            with db.engine.connect() as connection:
                context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                                       "include_object": include_object})
                differences = compare_metadata(context, db.metadata)
                assert differences == [], differences
                if connection.dialect.name == "postgresql":  # storage settings are not in the models
                    options = connection.execute(text(
                        "SELECT reloptions FROM pg_class WHERE relname = 'catalog_search'")).scalar_one()
                    assert options == ["toast_tuple_target=128"]
                assert connection.execute(text("SELECT seq FROM audit_head")).scalar_one() == 0
            downgrade(revision="base")
            with db.engine.connect() as connection:
                tables = db.inspect(connection).get_table_names()
            assert set(tables) <= {"alembic_version"}
            db.engine.dispose()


def test_the_audit_log_refuses_update_and_delete(world):
    from sqlalchemy.exc import DatabaseError

    for statement in ("UPDATE audit_entries SET action = 'forged'", "DELETE FROM audit_entries"):
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
