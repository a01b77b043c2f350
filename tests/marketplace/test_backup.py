"""`flask backup` while the app writes, then `flask restore` into a fresh database: the certificate log and the
audit chain verify, and every table holds the rows of one single instant (SQLite, and PostgreSQL when set)."""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text

from marketplace.accounts import services as accounts
from marketplace.app_factory import create_app
from marketplace.audit import verify_chain
from marketplace.backup import row_counts
from marketplace.extensions import db
from marketplace.registration.transparency import audit_log
from tests.builders import uscc
from tests.fixtures import POSTGRES_URL, _config
from tests.trading_builders import ONE_OFF, listed_with, signed_contract

BEFORE, AFTER = 20, 20  # writes the writer makes before the backup starts, and after it ends


class Writer(threading.Thread):
    """Creates organisations (a row, an audit entry) one transaction after another until stopped."""

    def __init__(self, app):
        super().__init__(daemon=True)
        self.app, self.done, self.error = app, 0, None
        self.stop = threading.Event()
        self.progress = threading.Condition()

    def run(self):
        with self.app.app_context():
            try:
                while not self.stop.is_set():
                    accounts.create_organization(name=f"Writer {self.done}", name_en="", kind="buyer",
                                                 uscc=uscc(500_000 + self.done))
                    with self.progress:
                        self.done += 1
                        self.progress.notify_all()
            except BaseException as exc:  # surfaced by the test, not lost in the thread
                self.error = exc
            finally:
                db.session.remove()

    def wait_for(self, count: int) -> None:
        with self.progress:
            assert self.progress.wait_for(lambda: self.done >= count or self.error, timeout=60), self.done
        assert self.error is None, self.error


def invoke(app, *args) -> dict:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.output.strip().splitlines()[-1])


@contextmanager
def scratch_database(tmp_path):
    """An empty database of the same kind as the test's: a SQLite file, or a PostgreSQL database made and dropped."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"restore_{uuid.uuid4().hex[:12]}"
    base = "postgresql+psycopg://" + POSTGRES_URL.split("://", 1)[1]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\''))
    try:
        yield base.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_online_backup_while_writing_restores_to_a_verifying_database(app, world, tmp_path):
    product, offers = listed_with(world, ONE_OFF)
    contract = signed_contract(world, product, offers["One-off"])
    assert contract.state == "awaiting_payment"
    db.session.commit()
    before = row_counts()
    assert before["certificates"] == 1 and before["contracts"] == 1

    writer = Writer(app)
    writer.start()
    try:
        writer.wait_for(BEFORE)
        made = invoke(app, "backup", "--output", str(tmp_path / "copy.bak"))
        during = writer.done
        writer.wait_for(during + AFTER)
    finally:
        writer.stop.set()
        writer.join(timeout=60)
    assert writer.error is None, writer.error
    db.session.remove()
    after, writes = row_counts(), writer.done
    assert made["database"] == db.engine.dialect.name and made["bytes"] > 0 and len(made["sha256"]) == 64

    # Each write adds the same rows to the same tables: the per-write delta of every table.
    delta = {name: (after[name] - before[name]) // writes for name in after}
    assert all(after[name] - before[name] == delta[name] * writes for name in after), (before, after, writes)
    assert delta["organizations"] == 1 and delta["audit_entries"] >= 1

    with scratch_database(tmp_path) as url:
        restored_app = create_app({**_config(tmp_path / "restored"), "SQLALCHEMY_DATABASE_URI": url})
        with restored_app.app_context():
            assert row_counts() == {} or not any(row_counts().values())
            report = invoke(restored_app, "restore", made["path"])
            assert report["ok"] and report["log"]["ok"] and report["audit"]["ok"], report
            restored = row_counts()
            assert audit_log().ok and verify_chain().ok
            # A second restore over the now-full database is refused without --force, accepted with it.
            refused = restored_app.test_cli_runner().invoke(args=["restore", made["path"]])
            assert refused.exit_code == 1 and "already holds data" in refused.output
            assert invoke(restored_app, "restore", "--force", made["path"])["ok"]
            assert row_counts() == restored
            db.session.remove()
            db.engine.dispose()

    # The snapshot is one instant: n writes in, for every table at once, taken while the writer ran.
    taken = restored["organizations"] - before["organizations"]
    assert BEFORE <= taken <= during, (taken, during)
    assert set(restored) == set(after)
    assert restored == {name: before[name] + delta[name] * taken for name in after}, (restored, before, delta)
    assert report["audit"]["entries"] == restored["audit_entries"]
    assert report["log"]["leaves"] == restored["log_leaves"] >= 1


@pytest.mark.skipif(bool(POSTGRES_URL), reason="the SQLite file copy")
def test_sqlite_backup_is_one_private_self_contained_file(app, world, tmp_path):
    invoke(app, "backup", "--output", str(tmp_path / "copy.db"))
    path, users = tmp_path / "copy.db", row_counts()["users"]
    assert (path.stat().st_mode & 0o777) == 0o600
    assert not (tmp_path / "copy.db-wal").exists() and not (tmp_path / "copy.db.partial").exists()
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert connection.execute("SELECT count(*) FROM users").fetchone()[0] == users > 0
    finally:
        connection.close()


def test_default_path_is_under_instance_backups(app, world, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    made = invoke(app, "backup")
    assert made["path"].startswith(str(tmp_path / "instance" / "backups" / "exchange-"))
    assert made["path"].endswith(".db" if db.engine.dialect.name == "sqlite" else ".pgdump")


def test_restore_refuses_a_file_of_another_kind(app, tmp_path):
    junk = tmp_path / "junk.bak"
    junk.write_bytes(b"not a backup")
    result = app.test_cli_runner().invoke(args=["restore", str(junk)])
    assert result.exit_code == 1 and "is not a" in result.output
