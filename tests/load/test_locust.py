"""A bounded load run: the demo exchange under real gunicorn (two workers, the project's gunicorn.conf.py) and
`locust --headless` with bench/locustfile.py (anonymous buyers browsing, machine clients with OAuth tokens), on a
fresh SQLite file, or on a scratch database of the PostgreSQL that DATABASE_URL names. Fails above 1% errors.

Locust patches the standard library with gevent, so it only ever runs as a subprocess of this test.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MAX_ERROR_RATE = 0.01
USERS, SPAWN_RATE, RUN_TIME = 20, 10, "20s"
# Every kind of request the locustfile makes: each must have been made, so a user class that broke is noticed.
EXPECTED = {"/ [search]", "/ [facet]", "/listings/[id]", "/catalog.jsonld", "/api/v1/listings [search]", "/notices",
            "/oauth/token", "/api/v1/listings/[id]", "/api/v1/certificates/[number]", "/api/v1/log/checkpoint",
            "/api/v1/contracts"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(env: dict, *command: str, timeout: float = 300) -> str:
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture
def database(tmp_path):
    """A SQLAlchemy URL of an empty database: a SQLite file here, or a new database beside DATABASE_URL's."""
    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith("postgres"):
        yield f"sqlite:///{tmp_path / 'load.db'}"
        return
    import psycopg

    # DATABASE_URL's own database holds the suite's schema (tests/fixtures.py); migrations need an empty one.
    server = make_url(configured).set(drivername="postgresql")
    name = f"load_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = server.render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def deployment(tmp_path, database):
    """The demo exchange, migrated and loaded, with one API client of the demo bank: (environment, client)."""
    env = {**{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "FLASK_APP")},
           "DATABASE_URL": database, "MARKETPLACE_ENV": "development", "SECRET_KEY": "load-test-secret",
           "MARKETPLACE_ID_HASH_KEY": "load-test-id-hash-key",
           "MARKETPLACE_SIGNING_KEY_FILE": str(tmp_path / "signing-key.pem"),
           "MARKETPLACE_FILES_DIR": str(tmp_path / "files"),
           # Jobs (sample scans) run inline: no RQ worker serves this deployment.
           "PYTHONPATH": str(ROOT), "MARKETPLACE_PASSWORD_HASH": "pbkdf2:sha256:1000"}
    flask = [str(BIN / "flask"), "--app", "app"]
    _run(env, *flask, "db", "upgrade")
    _run(env, sys.executable, "-m", "tests.load.demo", str(tmp_path / "instance"))
    created = _run(env, *flask, "clients", "create", "--user", "buyer@jmrcb.demo", "--name", "locust")
    client = json.loads([line for line in created.splitlines() if line.startswith("{")][-1])
    return env, client


@pytest.fixture
def server(tmp_path, deployment):
    """gunicorn serving the deployment; yields (base URL, access log path, server log path)."""
    env, _client = deployment
    port, log, access = _free_port(), tmp_path / "gunicorn.log", tmp_path / "access.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}",
             "--config", str(ROOT / "gunicorn.conf.py"), "--no-control-socket",
             "--access-logfile", str(access), "--access-logformat", "%(s)s %(m)s %(U)s", "app:app"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"gunicorn exited with {process.returncode}: {log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"gunicorn did not answer within 60 s: {log.read_text()[-3000:]}"
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/api/v1/log/checkpoint")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", access, log
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_locust_run_stays_under_one_percent_errors(tmp_path, deployment, server):
    env, client = deployment
    base_url, access, log = server
    stats_file = tmp_path / "locust"
    done = subprocess.run(
        [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "--host", base_url,
         "--users", str(USERS), "--spawn-rate", str(SPAWN_RATE), "--run-time", RUN_TIME, "--stop-timeout", "5",
         "--only-summary", "--json-file", str(stats_file), "--loglevel", "WARNING"],
        cwd=ROOT, env={**env, "EXCHANGE_CLIENT_ID": client["client_id"],
                       "EXCHANGE_CLIENT_SECRET": client["client_secret"]},
        capture_output=True, text=True, timeout=120)
    # Locust exits 1 on any failed request; 1% is allowed, so the numbers decide. Any other code is a crash.
    server_log = log.read_text()[-5000:]
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:] + server_log
    # An exception inside a user (a broken locustfile) is logged, not counted as a failed request.
    assert "Traceback" not in done.stderr, done.stderr[-5000:] + server_log

    entries = json.loads(stats_file.with_suffix(".json").read_text())
    requests = sum(entry["num_requests"] for entry in entries)
    failures = sum(entry["num_failures"] for entry in entries)
    statuses = Counter(line.split(" ", 1)[0] for line in access.read_text().splitlines() if line.strip())
    summary = {"requests": requests, "failures": failures, "statuses": dict(sorted(statuses.items())),
               "by_name": {entry["name"]: entry["num_requests"] for entry in entries}}
    print(json.dumps(summary, ensure_ascii=False))

    assert requests > 0, "locust made no requests"
    assert EXPECTED <= {entry["name"] for entry in entries if entry["num_requests"]}, summary
    assert failures / requests <= MAX_ERROR_RATE, (summary, server_log)
    # The users revalidate what they read (If-None-Match): unchanged pages came back as 304 without a body.
    assert statuses["304"] > 0, summary
