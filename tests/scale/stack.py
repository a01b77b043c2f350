"""A scratch deployment for the scale tests: a database (SQLite file, or a scratch PostgreSQL database on the
server DATABASE_URL names), the environment every process of it shares, migrations and a broker set up through
the CLI, and gunicorn instances started and killed as real processes.

Built on tests/crash/harness.py's helpers (free ports, the CLI runner, waiting for killed processes).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import requests

from compliance.identifiers import make_resident_id
from tests.builders import DRAFT, uscc
from tests.crash.harness import BIN, PG_ADMIN_URL, ROOT, _flask, _free_port, _wait_gone

PASSWORD = "scale test password 42"
BROKER = "broker@scale.test"


def _admin_url() -> str:
    """The maintenance database of the server DATABASE_URL names (scratch databases are created there)."""
    return os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"


class Stack:
    """One scratch exchange: call setup(), start processes, close() removes everything."""

    def __init__(self, *, redis_url: str | None = None, prefix: str = "scale-"):
        self.workdir = Path(tempfile.mkdtemp(prefix=prefix))
        self.pg_database = None
        if os.environ.get("DATABASE_URL", "").startswith("postgres"):
            self.pg_database = f"scale_{os.getpid()}_{uuid.uuid4().hex[:6]}"
            self._pg(f'CREATE DATABASE "{self.pg_database}" ENCODING \'UTF8\' LC_COLLATE \'C.UTF-8\' '
                     "LC_CTYPE 'C.UTF-8' TEMPLATE template0")
            url = _admin_url().rsplit("/", 1)[0] + "/" + self.pg_database
        else:
            url = f"sqlite:///{self.workdir / 'exchange.db'}"
        self.env = {**{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "FLASK_APP", "PORT")},
                    "DATABASE_URL": url, "MARKETPLACE_ENV": "development",
                    # Every process shares the secrets: a session cookie signed by one instance is good at another.
                    "SECRET_KEY": "scale-test-secret", "MARKETPLACE_ID_HASH_KEY": "scale-test-id-hash-key",
                    "MARKETPLACE_SIGNING_KEY_FILE": str(self.workdir / "signing-key.pem"),
                    "MARKETPLACE_FILES_DIR": str(self.workdir / "files"),
                    "MARKETPLACE_PASSWORD_HASH": "pbkdf2:sha256:1000", "PYTHONPATH": str(ROOT)}
        if redis_url:
            self.env["REDIS_URL"] = redis_url
        self.processes: list[subprocess.Popen] = []

    def _pg(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(_admin_url() if os.environ.get("DATABASE_URL") else PG_ADMIN_URL,
                             autocommit=True) as connection:
            connection.execute(statement)

    def flask(self, *args: str, stdin: str | None = None) -> dict:
        return _flask(self.env, *args, stdin=stdin)

    def setup(self, *, migrate: bool = True) -> None:
        """Migrations (unless the Procfile's release step is under test) and one broker to sign in as."""
        if migrate:
            self.flask("db", "upgrade")
        self.org = uscc(4242)
        self.flask("orgs", "create", "--name", "Scale provider", "--uscc", self.org, "--kind", "provider")
        self.flask("users", "create", BROKER, "--org", self.org, "--role", "broker", stdin=PASSWORD + "\n")

    def gunicorn(self, name: str, port: int) -> subprocess.Popen:
        """`gunicorn app:app` with the project's gunicorn.conf.py, one worker, its own access log."""
        log = (self.workdir / f"{name}.log").open("a")
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", "1", "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "5",
             "--access-logfile", str(self.workdir / f"{name}.access.log"),
             "--control-socket", str(self.workdir / f"{name}.ctl"), "app:app"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        wait_for(f"http://127.0.0.1:{port}/api/v1/notices", process, self.workdir / f"{name}.log")
        return process

    def access_log(self, name: str) -> str:
        path = self.workdir / f"{name}.access.log"
        return path.read_text() if path.exists() else ""

    def close(self) -> None:
        for process in reversed(self.processes):
            stop(process)
        if self.pg_database is not None:
            self._pg(f'DROP DATABASE IF EXISTS "{self.pg_database}" WITH (FORCE)')
        shutil.rmtree(self.workdir, ignore_errors=True)


def wait_for(url: str, process: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    """Until `url` answers 200; the process exiting first is a failure naming its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}: {log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s; see {log.read_text()[-3000:]}")


def children(pid: int) -> list[int]:
    """A process's children, by their parent pid (never by name)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def kill(process: subprocess.Popen) -> None:
    """SIGKILL a process and its children, as a crashed machine would lose them."""
    pids = [process.pid, *children(process.pid)]
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait()
    for pid in pids:
        _wait_gone(pid)


def stop(process: subprocess.Popen, timeout: float = 20) -> int:
    """SIGTERM (graceful for gunicorn, RQ, honcho), SIGKILL if it does not end in time; returns the exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill(process)
    return process.returncode


PEOPLE_CSV = "name,id_no,kwh\n" + "".join(
    f"name{i},{make_resident_id(f'44070319850101{i:03d}')},{i}\n" for i in range(20))
PEOPLE_FIELDS = [
    {"name": "name", "type": "string", "description": "", "pi": True, "sensitive": False},
    {"name": "id_no", "type": "string", "description": "", "pi": True, "sensitive": True},
    {"name": "kwh", "type": "integer", "description": "", "pi": False, "sensitive": False},
]


def queue_scan(stack: Stack, base_url: str) -> tuple[str, dict]:
    """Over HTTP as the broker: draft a product and upload a sample holding resident IDs. With REDIS_URL the scan
    is queued (202); returns the scan's URL and the bearer headers to read it with."""
    client = stack.flask("clients", "create", "--user", BROKER, "--scopes", "products")
    token = requests.post(f"{base_url}/oauth/token", data={"grant_type": "client_credentials"},
                          auth=(client["client_id"], client["client_secret"]), timeout=30)
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}", "Accept-Language": "en"}
    created = requests.post(f"{base_url}/api/v1/products", headers=headers, timeout=30,
                            json={**DRAFT, "field_dictionary": PEOPLE_FIELDS, "holds_pi": True})
    assert created.status_code == 201, created.text
    queued = requests.put(f"{base_url}/api/v1/products/{created.json()['id']}/sample?filename=people.csv",
                          data=PEOPLE_CSV.encode(), headers={**headers, "Content-Type": "text/csv"}, timeout=30)
    assert queued.status_code == 202 and queued.json()["state"] == "queued", queued.text
    return requests.compat.urljoin(base_url, queued.headers["Location"]), headers


def scan_state(url: str, headers: dict, until: set[str], timeout: float = 120) -> dict:
    """The scan job's JSON once its state is one of `until` (a worker elsewhere is doing it)."""
    deadline = time.monotonic() + timeout
    while True:
        job = requests.get(url, headers=headers, timeout=30).json()
        if job["state"] in until or time.monotonic() > deadline:
            return job
        time.sleep(0.2)


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the page has no CSRF token"
    return match.group(1)


__all__ = ["BIN", "BROKER", "PASSWORD", "ROOT", "Stack", "_free_port", "csrf_token", "kill", "queue_scan", "scan_state",
           "stop", "wait_for"]
