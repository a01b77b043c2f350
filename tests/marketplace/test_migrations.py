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


def test_the_migration_builds_the_same_full_text_index_as_the_models():
    script = ScriptDirectory(str(ROOT / "migrations"))
    module = next(r.module for r in script.walk_revisions() if hasattr(r.module, "SQLITE_FTS"))
    assert module.SQLITE_FTS == search_index.SQLITE_DDL
    assert module.POSTGRES_FTS == search_index.POSTGRES_DDL


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
