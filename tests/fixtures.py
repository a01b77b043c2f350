"""Fixtures of the app's tests: a fresh database per test (SQLite file, or the PostgreSQL in DATABASE_URL),
clients, builders. Only the conftest files of tests/marketplace and tests/e2e import them, so tests/compliance
runs without Flask or a database."""

from __future__ import annotations

import os
from contextlib import contextmanager

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from marketplace.app_factory import create_app
from marketplace.extensions import db

POSTGRES_URL = os.environ.get("DATABASE_URL")


def _config(tmp_path) -> dict:
    uri = POSTGRES_URL or f"sqlite:///{tmp_path / 'test.db'}"
    if uri.startswith("postgresql://"):
        uri = "postgresql+psycopg://" + uri.removeprefix("postgresql://")
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": uri,
        "MARKETPLACE_FILES_DIR": str(tmp_path / "files"),
        "MARKETPLACE_NOTICE_PERIOD_HOURS": 72,
        "SERVER_NAME": "localhost",
        # Jobs run inline unless a test hands them to RQ itself (tests/marketplace/test_scanning.py).
        "REDIS_URL": None,
        # Hashing cost is not under test here (test_passwords checks the real default): keep builders fast.
        "MARKETPLACE_PASSWORD_HASH": "pbkdf2:sha256:1000",
    }


@pytest.fixture(scope="session")
def _postgres_schema(tmp_path_factory):
    """On PostgreSQL the schema is built once; each test then starts from truncated tables."""
    if not POSTGRES_URL:
        yield
        return
    app = create_app(_config(tmp_path_factory.mktemp("pg")))
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield
    with app.app_context():
        db.drop_all()


def _truncate_all() -> None:
    names = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
    db.session.rollback()
    db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    db.session.execute(text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, :genesis)"),
                       {"genesis": "0" * 64})
    db.session.commit()


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as under a real server: its own `g` and database session.

    The test's session commits first, so no open snapshot hides what the request writes (SQLite WAL and
    PostgreSQL would otherwise show the test the database as it was before the request).
    """

    def open(self, *args, **kwargs):
        db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def app(tmp_path, _postgres_schema):
    with fresh_app(tmp_path) as app:
        yield app


@contextmanager
def fresh_app(tmp_path):
    """An app over an empty database, its context pushed: per test, or per module for read-only tests."""
    app = create_app(_config(tmp_path))
    app.test_client_class = IsolatedClient
    with app.app_context():
        if POSTGRES_URL:
            _truncate_all()
        else:
            db.create_all()
        yield app
        db.session.remove()
        if not POSTGRES_URL:
            db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def world(app):
    """Organisations and users of every role, built through the services."""
    from tests.builders import World

    return World.build()
