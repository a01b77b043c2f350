"""Crash consistency: writers under gunicorn with idempotency keys, `kill -9` at random moments, restart, verify.

    python -m tests.crash.harness --rounds 50                 # SQLite (WAL) in a scratch directory
    python -m tests.crash.harness --rounds 3 --db postgresql  # a scratch PostgreSQL database, dropped afterwards

Each round: K writer threads POST drafts, objections and access requests, each with a unique Idempotency-Key and
the key in the row it creates; in every other round a certifier process issues certificates meanwhile. At a
random moment the gunicorn master, its workers and the certifier are killed with SIGKILL. The server is restarted,
each writer retries the keys it never got a 2xx for (a replay of the stored response counts as acknowledged once),
housekeeping finishes the registrations, and then: the database's integrity check, every acknowledged key's row
present exactly once and no key's row twice, every certificate with its one "issued" leaf and no leaf without a
certificate, the audit chain, the log's recomputed tree and checkpoints, and the new checkpoint proven consistent
with the last one a client saw before the crash. Prints one JSON summary; exits 1 on any violation.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "crash harness password 42"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _flask(env: dict, *args: str, stdin: str | None = None) -> dict:
    done = subprocess.run([str(BIN / "flask"), "--app", "app", *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed: {done.stdout}{done.stderr}")
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


class Server:
    """`gunicorn -w 2 app:app` (with the project's gunicorn.conf.py), killed with SIGKILL and restarted."""

    def __init__(self, env: dict, port: int, log: Path):
        self.env, self.port, self.log, self.process = env, port, log, None

    def start(self) -> float:
        started = time.monotonic()
        self.log.with_name("gunicorn.conf.py").touch()
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                # The project's gunicorn.conf.py only warms the search dictionary (1 s a worker), which no write
                # here needs; a control socket per server, as several may run at once.
                [str(BIN / "gunicorn"), "-w", "2", "--bind", f"127.0.0.1:{self.port}", "--graceful-timeout", "5",
                 "--config", str(self.log.with_name("gunicorn.conf.py")),
                 "--control-socket", str(self.log.with_name("gunicorn.ctl")), "app:app"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = started + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log}")
            try:
                if request(self.port, "GET", "/api/v1/notices", timeout=2)[0] == 200 and len(self.workers()) == 2:
                    return time.monotonic() - started
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"gunicorn did not answer within 60 s; see {self.log}")

    def workers(self) -> list[int]:
        """The master's children, by their parent pid (never by name)."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                children.append(int(stat.parent.name))
        return children

    def kill(self, rng: random.Random) -> None:
        pids = [self.process.pid, *self.workers()]
        rng.shuffle(pids)  # master first or a worker first: either may die first in a real crash
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait()
        for pid in pids:
            _wait_gone(pid)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            workers = self.workers()
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill(random.Random())
            for pid in workers:
                _wait_gone(pid)


def _wait_gone(pid: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stat = Path(f"/proc/{pid}/stat")
        try:
            if stat.read_text().rsplit(")", 1)[1].split()[0] == "Z":
                return  # a zombie holds no files or sockets
        except OSError:
            return
        time.sleep(0.01)


def request(port: int, method: str, path: str, body: dict | None = None, headers: dict | None = None,
            timeout: float = 15) -> tuple[int, dict, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        connection.request(method, path, body=payload, headers={
            "Content-Type": "application/json", "Accept-Language": "en", **(headers or {})})
        response = connection.getresponse()
        data = response.read()
        return response.status, dict(response.getheaders()), json.loads(data) if data else {}
    finally:
        connection.close()


def bearer(port: int, client: dict) -> dict:
    basic = base64.b64encode(f"{client['client_id']}:{client['client_secret']}".encode()).decode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        connection.request("POST", "/oauth/token", body="grant_type=client_credentials", headers={
            "Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"})
        response = connection.getresponse()
        token = json.loads(response.read())
    finally:
        connection.close()
    if response.status != 200:
        raise RuntimeError(f"no token: {token}")
    return {"Authorization": f"Bearer {token['access_token']}"}


@dataclass
class Write:
    key: str
    path: str
    body: dict
    headers: dict
    acknowledged: bool = False
    attempts: int = 0
    replayed: bool = False
    last_status: int | None = None


@dataclass
class Round:
    writes: list[Write] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _send(port: int, write: Write, result: Round) -> bool:
    """One attempt: a 2xx acknowledges the key; a lost connection or a 409 (in flight) leaves it for a retry.
    False when the server did not answer."""
    write.attempts += 1
    try:
        status, headers, body = request(port, "POST", write.path, write.body,
                                        {**write.headers, "Idempotency-Key": write.key})
    except (OSError, http.client.HTTPException):
        return False
    write.last_status = status
    if 200 <= status < 300:
        write.acknowledged = True
        write.replayed = headers.get("Idempotent-Replayed") == "true"
    elif status != 409:
        with result.lock:
            result.unexpected.append(f"{write.key}: {status} {json.dumps(body)[:300]}")
    return True


class Writers:
    def __init__(self, port: int, count: int, targets: dict, auth: dict, round_number: int):
        self.port, self.count, self.targets, self.auth, self.round = port, count, targets, auth, round_number
        self.stop = threading.Event()
        self.result = Round()

    def _next(self, writer: int, serial: int) -> Write:
        key = f"r{self.round}-w{writer}-{serial}-{uuid.uuid4().hex[:8]}"
        marker = f"crash {key}"
        kind = serial % 3
        if kind == 0:
            from tests.builders import DRAFT

            return Write(key, "/api/v1/products", {**DRAFT, "name": marker}, self.auth["broker"])
        if kind == 1:
            return Write(key, f"/api/v1/notices/{self.targets['notice_product_id']}/objections",
                         {"reason": marker}, self.auth["buyer"])
        from tests.trading_builders import REQUEST

        return Write(key, "/api/v1/access-requests",
                     {**REQUEST, "product_id": self.targets["listed_product_id"],
                      "offer_id": self.targets["offer_id"], "purpose": marker}, self.auth["buyer"])

    def run(self, writer: int) -> None:
        serial = 0
        while not self.stop.is_set():
            write = self._next(writer, serial)
            serial += 1
            with self.result.lock:
                self.result.writes.append(write)
            if not _send(self.port, write, self.result):
                return  # the server is down: this writer's client crashed with it, until the retries

    def start(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self.run, args=(i,), daemon=True) for i in range(self.count)]
        for thread in threads:
            thread.start()
        return threads


class CheckpointWatcher(threading.Thread):
    """A client of the log: remembers the newest signed checkpoint it was served before the crash."""

    def __init__(self, port: int, last: dict | None):
        super().__init__(daemon=True)
        self.port, self.last, self.stop = port, last, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                status, _headers, body = request(self.port, "GET", "/api/v1/log/checkpoint", timeout=2)
                if status == 200 and (self.last is None or body["size"] >= self.last["size"]):
                    self.last = body
            except (OSError, http.client.HTTPException, ValueError):
                pass
            self.stop.wait(0.05)


def _consistent(port: int, before: dict | None) -> dict:
    """The log after the crash extends the last checkpoint seen before it (RFC 6962 consistency proof)."""
    from compliance import merkle

    status, _h, after = request(port, "GET", "/api/v1/log/checkpoint")
    if before is None:
        return {"ok": True, "from": 0, "to": after.get("size", 0) if status == 200 else 0}
    if status != 200:
        return {"ok": False, "problem": f"no checkpoint after the crash ({status}) though {before['size']} was seen"}
    if after["size"] == before["size"]:
        return {"ok": after["root"] == before["root"], "from": before["size"], "to": after["size"]}
    status, _h, proof = request(port, "GET", f"/api/v1/log/consistency?from={before['size']}&to={after['size']}")
    ok = status == 200 and merkle.verify_consistency(
        before["size"], after["size"], bytes.fromhex(before["root"]), bytes.fromhex(after["root"]),
        [base64.b64decode(node) for node in proof.get("proof", [])])
    return {"ok": ok, "from": before["size"], "to": after["size"]}


class Harness:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.workdir = Path(tempfile.mkdtemp(prefix="crash-"))
        self.pg_database = None
        if args.db == "postgresql":
            self.pg_database = f"crash_{os.getpid()}_{uuid.uuid4().hex[:6]}"
            self._pg(f'CREATE DATABASE "{self.pg_database}"')
            url = args.pg_admin_url.rsplit("/", 1)[0] + "/" + self.pg_database
        else:
            url = f"sqlite:///{self.workdir / 'crash.db'}"
        self.env = {**{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "FLASK_APP")},
                    "DATABASE_URL": url, "MARKETPLACE_ENV": "development", "SECRET_KEY": "crash-harness-secret",
                    "MARKETPLACE_ID_HASH_KEY": "crash-harness-id-hash-key",
                    "MARKETPLACE_SIGNING_KEY_FILE": str(self.workdir / "signing-key.pem"),
                    "MARKETPLACE_FILES_DIR": str(self.workdir / "files"),
                    # Notices end at once, so housekeeping issues certificates within a round.
                    "MARKETPLACE_NOTICE_PERIOD_HOURS": "0",
                    # Password hashing is not under test; keep the set-up quick.
                    "MARKETPLACE_PASSWORD_HASH": "pbkdf2:sha256:1000", "PYTHONPATH": str(ROOT)}
        self.server = Server(self.env, _free_port(), self.workdir / "gunicorn.log")
        self.app = None

    def _pg(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.args.pg_admin_url, autocommit=True) as connection:
            connection.execute(statement)

    def _in_app(self, function, **kwargs):
        """Run a tests/crash/world.py function in this process, against the scratch database."""
        if self.app is None:
            os.environ.update(self.env)
            from marketplace.app_factory import create_app

            self.app = create_app()
        with self.app.app_context():
            from marketplace.extensions import db

            try:
                return function(**kwargs)
            finally:
                db.session.remove()
                db.engine.dispose()

    def setup(self) -> dict:
        from tests.builders import uscc
        from tests.crash import world

        _flask(self.env, "db", "upgrade")
        orgs = {kind: uscc(900 + i) for i, kind in enumerate(["provider", "reviewer", "buyer"])}
        emails = {"broker": "broker@crash.test", "reviewer": "reviewer@crash.test", "buyer": "buyer@crash.test"}
        self.emails = emails
        with ThreadPoolExecutor(3) as pool:  # each CLI call spends its time starting the app: run them side by side
            list(pool.map(lambda kind: _flask(self.env, "orgs", "create", "--name", f"Crash {kind}",
                                              "--uscc", orgs[kind], "--kind", kind), orgs))
            list(pool.map(lambda pair: _flask(self.env, "users", "create", emails[pair[0]], "--org", orgs[pair[1]],
                                              "--role", pair[0], stdin=PASSWORD + "\n"),
                          [("broker", "provider"), ("reviewer", "reviewer"), ("buyer", "buyer")]))
            broker = pool.submit(_flask, self.env, "clients", "create", "--user", emails["broker"],
                                 "--scopes", "products")
            buyer = pool.submit(_flask, self.env, "clients", "create", "--user", emails["buyer"],
                                "--scopes", "objections trading")
            targets = self._in_app(world.setup, broker_email=emails["broker"], reviewer_email=emails["reviewer"],
                                   buyer_email=emails["buyer"])
            clients = {"broker": broker.result(), "buyer": buyer.result()}
        return clients, targets

    def certifier(self, round_number: int) -> subprocess.Popen:
        """A process approving and registering products; returns once it has approved its first one, so the
        crash finds it registering (certificate, leaf, checkpoint) or approving the next."""
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.crash.world", "certify", "--broker", self.emails["broker"],
             "--reviewer", self.emails["reviewer"], "--count", "20", "--tag", f"r{round_number}"],
            cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        if process.stdout.readline().strip() != "approved":
            raise RuntimeError(f"the certifier stopped before approving a product ({process.wait()})")
        return process

    def run(self) -> dict:
        from tests.crash import world

        began = time.monotonic()
        clients, targets = self.setup()
        self.server.start()
        setup_seconds = time.monotonic() - began
        totals = {"writes_sent": 0, "acknowledged": 0, "acknowledged_on_retry": 0, "replayed_on_retry": 0,
                  "lost": 0, "duplicates": 0, "unacknowledged_after_retries": 0}
        checks: dict[str, dict] = {}
        violations: list[str] = []
        restarts, round_seconds, last_checkpoint = [], [], None
        for number in range(1, self.args.rounds + 1):
            started = time.monotonic()
            auth = {role: bearer(self.server.port, client) for role, client in clients.items()}
            watcher = CheckpointWatcher(self.server.port, last_checkpoint)
            watcher.start()
            certifier = self.certifier(number) if number % self.args.certify_every == 0 else None
            writers = Writers(self.server.port, self.args.writers, targets, auth, number)
            threads = writers.start()
            time.sleep(self.rng.uniform(0.2, self.args.max_seconds_to_crash))
            self.server.kill(self.rng)
            if certifier is not None:
                certifier.kill()
                certifier.wait()
            writers.stop.set()
            watcher.stop.set()
            for thread in (*threads, watcher):
                thread.join()
            last_checkpoint = watcher.last
            restarts.append(self.server.start())
            pending = [w for w in writers.result.writes if not w.acknowledged]
            retried_ok = self._retry(pending, writers.result)
            if certifier is not None:
                _flask(self.env, "housekeeping")
            consistency = _consistent(self.server.port, last_checkpoint)
            found = self._in_app(world.verify, sqlite=self.args.db == "sqlite")
            found["checks"]["checkpoint_consistency"] = consistency
            acknowledged = {w.key for w in writers.result.writes if w.acknowledged}
            sent = {w.key for w in writers.result.writes}
            lost = sorted(key for key in acknowledged if found["rows"].get(key, 0) != 1)
            doubled = sorted(key for key in sent if found["rows"].get(key, 0) > 1 or found["keys"].get(key, 0) > 1)
            stray = sorted(set(found["rows"]) - set(found["keys"]))  # a row written without its key record
            totals["writes_sent"] += len(sent)
            totals["acknowledged"] += len(acknowledged)
            totals["acknowledged_on_retry"] += retried_ok
            totals["replayed_on_retry"] += sum(w.replayed for w in pending)
            totals["lost"] += len(lost)
            totals["duplicates"] += len(doubled)
            totals["unacknowledged_after_retries"] += len(sent - acknowledged)
            found["checks"]["rows_vs_keys"] = {"ok": not stray, "rows_without_key": len(stray)}
            for name, check in found["checks"].items():
                tally = checks.setdefault(name, {"passed": 0, "failed": 0})
                tally["passed" if check["ok"] else "failed"] += 1
                if not check["ok"]:
                    violations.append(f"round {number}: {name}: {json.dumps(check)}")
            for label, keys in (("lost", lost), ("duplicated", doubled), ("without key record", stray)):
                if keys:
                    violations.append(f"round {number}: {len(keys)} {label}: {keys[:5]}")
            if sent - acknowledged:
                violations.append(f"round {number}: {len(sent - acknowledged)} writes never acknowledged")
            violations.extend(f"round {number}: unexpected {line}" for line in writers.result.unexpected)
            round_seconds.append(time.monotonic() - started)
            if self.args.verbose:
                print(json.dumps({"round": number, "sent": len(sent), "acknowledged": len(acknowledged),
                                  "retried": len(pending), "replayed": sum(w.replayed for w in pending),
                                  "log": consistency, "seconds": round(round_seconds[-1], 2)}), file=sys.stderr)
        certificates = found["checks"]["certificates_vs_leaves"]["certificates"]
        return {"database": self.args.db, "rounds": self.args.rounds, "writers": self.args.writers, **totals,
                "certificates": certificates, "log_size": found["checks"]["log"]["leaves"],
                "audit_entries": found["checks"]["audit_chain"]["entries"], "checks": checks,
                "seconds": {"setup": round(setup_seconds, 1),
                            "per_round": round(sum(round_seconds) / len(round_seconds), 2),
                            "restart": round(sum(restarts) / len(restarts), 2),
                            "total": round(time.monotonic() - began, 1)},
                "violations": violations[:50], "ok": not violations}

    def _retry(self, pending: list[Write], result: Round) -> int:
        """Every unacknowledged key sent again with the same body until a 2xx (the stored one, if it committed),
        by as many clients at once as there were writers."""
        def retry(write: Write) -> None:
            for attempt in range(20):
                _send(self.server.port, write, result)
                if write.acknowledged or write.last_status not in (None, 409):
                    return
                time.sleep(0.05 * (attempt + 1))

        with ThreadPoolExecutor(self.args.writers) as pool:
            list(pool.map(retry, pending))
        return sum(write.acknowledged for write in pending)

    def close(self) -> None:
        self.server.stop()
        if self.pg_database is not None:
            if self.app is not None:
                from marketplace.extensions import db

                with self.app.app_context():
                    db.engine.dispose()
            self._pg(f'DROP DATABASE IF EXISTS "{self.pg_database}" WITH (FORCE)')
        if not self.args.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--writers", type=int, default=6, help="concurrent writer threads")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL,
                        help="where to create (and drop) the scratch PostgreSQL database")
    parser.add_argument("--max-seconds-to-crash", type=float, default=2.5,
                        help="the kill comes 0.2 s to this many seconds after the writers start")
    parser.add_argument("--certify-every", type=int, default=2,
                        help="run the certifier (killed with the server) in every n-th round")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (database, gunicorn log)")
    parser.add_argument("--verbose", action="store_true", help="one line per round on stderr")
    args = parser.parse_args(argv)
    # Jobs run inline: with REDIS_URL (CI's PostgreSQL pass sets it) sample scans would wait for an RQ worker
    # this harness does not start, and its products could never be submitted.
    os.environ.pop("REDIS_URL", None)
    harness = Harness(args)
    try:
        summary = harness.run()
    finally:
        harness.close()
    summary["scratch"] = str(harness.workdir) if args.keep else None
    print(json.dumps(summary, indent=2))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
