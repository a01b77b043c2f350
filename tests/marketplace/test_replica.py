"""The read replica, against a real PostgreSQL streaming standby: the public catalog's anonymous reads go to the
replica, signed-in readers and every write go to the primary, and a read-only route cannot write.

The session fixture builds its own primary (initdb on a free port) and a hot standby of it (pg_basebackup -R,
streaming), so the shared server is never reconfigured or restarted; both are stopped and removed afterwards.
Replay on the standby is paused to prove where a read went: a listing committed on the primary is invisible to
a route that reads the replica until replay resumes.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import event, select, text, update
from sqlalchemy.exc import InternalError

from marketplace import replica
from marketplace.app_factory import create_app
from marketplace.catalog import services as catalog
from marketplace.catalog.models import Listing
from marketplace.extensions import db
from marketplace.registration.models import Certificate
from tests.builders import PASSWORD, bearer_for, listed, registered
from tests.fixtures import IsolatedClient, _config, _truncate_all

PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StandbyPair:
    """A throwaway primary and its streaming hot standby, each a postmaster of its own on a free port."""

    def __init__(self, bin_dir: Path):
        self.bin = bin_dir
        # PostgreSQL refuses to run as root: as root, every server command runs as the postgres OS user.
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.root = Path(tempfile.mkdtemp(prefix="replica-pair-"))
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self.primary_dir, self.standby_dir = self.root / "primary", self.root / "standby"
        self.primary_port, self.standby_port = _free_port(), _free_port()
        self.started: list[Path] = []

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self.as_postgres, *args], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}): {done.stdout}{done.stderr}")

    def _start(self, data_dir: Path, port: int) -> None:
        with (data_dir / "postgresql.conf").open("a") as conf:
            # Durability is not under test; the sockets stay inside the scratch directory.
            conf.write(f"port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.root}'\n"
                       "fsync = off\nfull_page_writes = off\n")
        self._run(str(self.bin / "pg_ctl"), "-D", str(data_dir), "-l", str(data_dir.with_suffix(".log")),
                  "-w", "-t", "60", "start")
        self.started.append(data_dir)

    def start(self) -> None:
        # trust on 127.0.0.1, replication connections included (initdb's pg_hba.conf has the replication lines).
        self._run(str(self.bin / "initdb"), "-D", str(self.primary_dir), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        self._start(self.primary_dir, self.primary_port)
        self.admin("primary", "CREATE DATABASE exchange")
        self._run(str(self.bin / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres",
                  "-D", str(self.standby_dir), "-R", "-X", "stream", "-c", "fast", "--no-sync")
        (self.standby_dir / "postgresql.conf").write_text(
            (self.primary_dir / "postgresql.conf").read_text().replace(f"port = {self.primary_port}", ""))
        self._start(self.standby_dir, self.standby_port)
        assert self.admin("replica", "SELECT pg_is_in_recovery()") is True

    def stop(self) -> None:
        for data_dir in reversed(self.started):
            subprocess.run([*self.as_postgres, str(self.bin / "pg_ctl"), "-D", str(data_dir), "-m", "immediate",
                            "-w", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, which: str, database: str = "exchange") -> str:
        port = self.primary_port if which == "primary" else self.standby_port
        return f"postgresql://postgres@127.0.0.1:{port}/{database}"

    def admin(self, which: str, sql: str, database: str = "exchange"):
        with psycopg.connect(self.url(which, database if sql != "CREATE DATABASE exchange" else "postgres"),
                             autocommit=True) as connection:
            cursor = connection.execute(sql)
            row = cursor.fetchone() if cursor.description else None
            return row[0] if row else None

    def pause_replay(self) -> None:
        self.admin("replica", "SELECT pg_wal_replay_pause()")
        self._until(lambda: self.admin("replica", "SELECT pg_get_wal_replay_pause_state()") == "paused")

    def resume_replay(self) -> None:
        self.admin("replica", "SELECT pg_wal_replay_resume()")
        self.catch_up()

    def catch_up(self) -> None:
        """Wait until the standby has replayed everything the primary has written so far."""
        target = self.admin("primary", "SELECT pg_current_wal_lsn()::text")
        self._until(lambda: self.admin("replica", f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"))

    @staticmethod
    def _until(condition, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError("the standby did not get there within 60 s")
            time.sleep(0.02)


@pytest.fixture(scope="session")
def standby_pair():
    if PG_BIN is None or not (PG_BIN / "initdb").exists():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL server binaries (/usr/lib/postgresql/*/bin) are required in CI")
        pytest.skip("PostgreSQL server binaries are not installed (/usr/lib/postgresql/*/bin)")
    pair = StandbyPair(PG_BIN)
    try:
        pair.start()
        yield pair
    finally:
        pair.stop()


@pytest.fixture(scope="session")
def _replica_schema(standby_pair, tmp_path_factory):
    app = _replica_app(standby_pair, tmp_path_factory.mktemp("replica-schema"))
    with app.app_context():
        db.create_all()
        db.engine.dispose()


def _replica_app(pair: StandbyPair, tmp_path):
    def psycopg_url(url):
        return url.replace("postgresql://", "postgresql+psycopg://", 1)

    app = create_app({**_config(tmp_path), "SQLALCHEMY_DATABASE_URI": psycopg_url(pair.url("primary")),
                      "DATABASE_REPLICA_URL": psycopg_url(pair.url("replica"))})
    app.test_client_class = IsolatedClient
    return app


@pytest.fixture
def app(standby_pair, _replica_schema, tmp_path):
    app = _replica_app(standby_pair, tmp_path)
    with app.app_context():
        _truncate_all()
        standby_pair.catch_up()
        yield app
        db.session.remove()
        db.engine.dispose()
        replica.replica_engine(app).dispose()


@pytest.fixture
def statements(app):
    """The SQL each engine ran, as {"primary": [...], "replica": [...]}; cleared with .clear() per step."""
    seen = {"primary": [], "replica": []}
    listeners = []
    for name, engine in (("primary", db.engine), ("replica", replica.replica_engine(app))):
        def record(_conn, _cursor, statement, _params, _context, _many, name=name):
            seen[name].append(statement)
        event.listen(engine, "before_cursor_execute", record)
        listeners.append((engine, record))

    class Seen(dict):
        def clear(self):
            for values in self.values():
                values.clear()

    captured = Seen(seen)
    yield captured
    for engine, record in listeners:
        event.remove(engine, "before_cursor_execute", record)


def _sign_in(client, email: str) -> None:
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)


def test_the_server_is_a_streaming_standby(standby_pair):
    assert standby_pair.admin("primary", "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'") == 1
    assert standby_pair.admin("replica", "SELECT pg_is_in_recovery()") is True


def test_anonymous_catalog_reads_come_from_the_replica(app, client, world, standby_pair, statements):
    shown = listed(world.broker_a, world.reviewer, name="江门陈皮溯源", name_en="Chenpi traceability").id
    standby_pair.catch_up()
    standby_pair.pause_replay()
    try:
        # Committed on the primary while the standby replays nothing.
        hidden = listed(world.broker_b, world.reviewer, name="江门渔业产量", name_en="Jiangmen fishery output").id
        # Ids, not objects: the test's own session reads the primary when an expired object is touched.
        statements.clear()
        assert client.get(f"/api/v1/listings/{shown}").status_code == 200
        assert client.get(f"/api/v1/listings/{hidden}").status_code == 404
        assert [item["id"] for item in client.get("/api/v1/listings").json["items"]] == [shown]
        assert client.get(f"/listings/{hidden}").status_code == 404
        page = client.get("/?lang=en").get_data(as_text=True)
        assert "Chenpi traceability" in page and "Jiangmen fishery output" not in page
        dcat = client.get("/catalog.jsonld").get_data(as_text=True)
        assert "Chenpi traceability" in dcat and "Jiangmen fishery output" not in dcat
        # Every statement went to the standby; the primary saw none (not even a read, so surely no write).
        assert statements["replica"] and statements["primary"] == []
    finally:
        standby_pair.resume_replay()

    assert client.get(f"/api/v1/listings/{hidden}").status_code == 200
    assert client.get(f"/listings/{hidden}").status_code == 200
    assert "Jiangmen fishery output" in client.get("/?lang=en").get_data(as_text=True)


def test_certificate_verification_reads_the_replica(app, client, world, standby_pair, statements):
    standby_pair.pause_replay()
    try:
        version_id = registered(world.broker_a, world.reviewer).latest.id
        number = db.session.scalar(select(Certificate.number).where(Certificate.version_id == version_id))
        statements.clear()
        assert client.get(f"/verify?number={number}").status_code == 404
        assert client.get(f"/api/v1/certificates/{number}").status_code == 404
        assert statements["primary"] == []
    finally:
        standby_pair.resume_replay()
    assert client.get(f"/verify?number={number}").status_code == 200
    assert client.get(f"/certificates/{number}").status_code == 200
    assert client.get(f"/api/v1/certificates/{number}").json["certificate"]["number"] == number


def test_a_text_search_plans_its_candidates_on_the_standby(app, client, world, standby_pair, statements):
    for n in range(3):
        listed(world.broker_a, world.reviewer, name=f"江门陈皮仓储 {n}", name_en=f"Chenpi storage {n}")
    standby_pair.admin("primary", "ANALYZE catalog_search")
    standby_pair.catch_up()
    statements.clear()
    found = client.get("/api/v1/listings?q=chenpi")
    assert found.status_code == 200 and found.json["total"] == 3
    assert client.get("/?q=陈皮").status_code == 200
    # plan_candidates' planner settings are transaction-local set_config calls: a hot standby allows them.
    assert any("set_config" in sql for sql in statements["replica"]), statements["replica"]
    assert statements["primary"] == []


def test_signed_in_readers_and_api_clients_read_the_primary(app, client, world, standby_pair, statements):
    product = registered(world.broker_a, world.reviewer)
    headers = bearer_for(client, world.broker_a)
    _sign_in(client, world.broker_a.email)
    standby_pair.catch_up()
    standby_pair.pause_replay()
    try:
        statements.clear()
        # The broker lists the product (a write: the primary) and is sent to its page, which must show it at
        # once although the standby has not replayed it.
        response = client.post(f"/api/v1/products/{product.id}/listing", headers=headers, json={
            "venue": "main", "offers": [{"name": "免费", "pricing_mode": "free"}]})
        assert response.status_code == 200, response.json
        assert any(sql.lstrip().upper().startswith("INSERT INTO LISTING") for sql in statements["primary"])
        assert client.get(f"/listings/{product.id}").status_code == 200
        assert client.get(f"/api/v1/listings/{product.id}", headers=headers).status_code == 200
        assert statements["replica"] == []
        anonymous = app.test_client()
        assert anonymous.get(f"/api/v1/listings/{product.id}").status_code == 404
    finally:
        standby_pair.resume_replay()
    assert anonymous.get(f"/api/v1/listings/{product.id}").status_code == 200


def _refused(client, caplog, path: str, error: type, message: str, **kwargs) -> None:
    """The request ends in a 500 and the log names the refused write (the app logs every unexpected error)."""
    caplog.clear()
    assert client.get(path, **kwargs).status_code == 500
    raised = [record.exc_info[1] for record in caplog.records if record.exc_info]
    assert raised and isinstance(raised[0], error) and message in str(raised[0]), raised


def test_a_write_inside_a_read_only_route_fails_loudly(app, client, world, standby_pair, monkeypatch, caplog):
    product_id = listed(world.broker_a, world.reviewer).id
    standby_pair.catch_up()
    reader = catalog.get_listing

    def orm_writer(product_id):
        listing = reader(product_id)
        listing.venue = "finance"
        db.session.flush()
        return listing

    def core_writer(product_id):
        db.session.execute(update(Listing).where(Listing.product_id == product_id).values(venue="finance"))
        return reader(product_id)

    def text_writer(product_id):
        db.session.execute(text("UPDATE listings SET venue = 'finance' WHERE product_id = :id"), {"id": product_id})
        return reader(product_id)

    path = f"/api/v1/listings/{product_id}"
    for writer in (orm_writer, core_writer):
        monkeypatch.setattr(catalog, "get_listing", writer)
        _refused(client, caplog, path, replica.ReadOnlyRouteError, "catalog_api.get_listing is a read-only route")
    # SQL the guard cannot see into is refused by the server: the transaction is READ ONLY (and on a standby).
    monkeypatch.setattr(catalog, "get_listing", text_writer)
    _refused(client, caplog, path, InternalError, "read-only transaction")
    # The same on the primary, where a signed-in reader of the same route is served.
    monkeypatch.setattr(catalog, "get_listing", reader)
    headers = bearer_for(client, world.broker_a)
    monkeypatch.setattr(catalog, "get_listing", text_writer)
    _refused(client, caplog, path, InternalError, "read-only transaction", headers=headers)
    monkeypatch.setattr(catalog, "get_listing", reader)
    db.session.expire_all()
    assert reader(product_id).venue == "main", "no write reached the primary"


def test_sign_in_and_other_writes_go_to_the_primary(app, client, world, standby_pair, statements):
    standby_pair.pause_replay()
    try:
        statements.clear()
        _sign_in(client, world.broker_a.email)
        assert client.get("/dashboard").status_code == 200
        assert statements["replica"] == [] and statements["primary"]
    finally:
        standby_pair.resume_replay()


def test_every_read_only_endpoint_exists_and_only_reads(tmp_path):
    """A renamed view would silently drop off the replica (and out of the write guard): the names must resolve."""
    rules = {rule.endpoint: rule.methods for rule in create_app(_config(tmp_path)).url_map.iter_rules()}
    assert replica.READ_ONLY_ENDPOINTS <= rules.keys(), replica.READ_ONLY_ENDPOINTS - rules.keys()
    assert all(rules[name] <= {"GET", "HEAD", "OPTIONS"} for name in replica.READ_ONLY_ENDPOINTS)
