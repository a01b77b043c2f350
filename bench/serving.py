"""What the HTTP benchmarks share: a scratch exchange loaded with the demo, gunicorn serving it (or the
hello-world baseline) with the same settings, wrk driving it, worker memory, and the JSON result files.

- Exchange: a fresh database — SQLite in a temp dir, or a scratch PostgreSQL database created on the server of
  DATABASE_URL and dropped afterwards — migrated and loaded with the real `db upgrade` and `demo load` commands,
  under production settings (MARKETPLACE_ENV=production, secrets from the environment, a signing key file, no
  REDIS_URL: rate limits in memory, jobs inline). The commands run through the app's CLI runner in a child process
  whose instance folder is the temp dir, so the demo's generated passwords never reach the checkout's instance/.
- Gunicorn: `gunicorn -w 2 --bind 127.0.0.1:PORT --config C MODULE:app`, no access log (gunicorn's default). The
  exchange gets the project's gunicorn.conf.py (post_worker_init warms the search dictionary and freezes the GC);
  the hello-world app gets an empty config: that file holds nothing but the hook, so every server setting
  (workers, worker class, timeouts, keep-alive) is the same for both.
- wrk: one run per endpoint; a Lua `done()` hook prints the figures as JSON (requests, errors by kind, latency
  percentiles), so nothing is parsed from wrk's text.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"
WRK_MISSING = "wrk is not installed: `sudo apt-get install wrk` (Debian/Ubuntu), then run the bench again"

# wrk calls done() once at the end; latency is in microseconds. Status errors are responses >= 400.
WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write("WRK-JSON ", string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "errors": {"connect": %d, "read": %d, "write": %d, '
    .. '"status": %d, "timeout": %d}, "latency_us": {"mean": %.1f, "max": %d, "p50": %d, "p90": %d, "p99": %d}}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.max, latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
"""


def machine() -> dict:
    cpu = platform.machine()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {"cpu": cpu, "nproc": len(os.sched_getaffinity(0)), "python": platform.python_version(),
            "platform": platform.platform()}


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_result(name: str, result: dict) -> Path:
    """bench/results/NAME.json, or under BENCH_RESULTS_DIR (the tests keep their quick runs out of bench/results)."""
    directory = Path(os.environ.get("BENCH_RESULTS_DIR") or RESULTS)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    return path


def require_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit(WRK_MISSING)
    return wrk


def _pg_admin_url(database_url: str) -> str:
    """The same server, database `postgres`, for CREATE/DROP DATABASE (psycopg's own URL scheme)."""
    url = database_url.replace("postgresql+psycopg://", "postgresql://").replace("postgres://", "postgresql://")
    return url.rsplit("/", 1)[0] + "/postgres"


class Exchange:
    """A scratch exchange: its database, files, keys and instance folder live in `workdir` (or a scratch PostgreSQL
    database); `env` is what every process of the bench (set-up child, gunicorn) runs with."""

    def __init__(self, workdir: Path, database_url: str | None = None, extra_env: dict | None = None):
        self.workdir = workdir
        self.pg_admin = None
        self.pg_name = None
        if database_url:
            self.pg_admin = _pg_admin_url(database_url)
            self.pg_name = f"bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
            self._pg(f"CREATE DATABASE \"{self.pg_name}\" ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' "
                     "TEMPLATE template0")
            url = self.pg_admin.rsplit("/", 1)[0] + "/" + self.pg_name
        else:
            url = f"sqlite:///{workdir / 'exchange.db'}"
        self.dialect = "postgresql" if database_url else "sqlite"
        key_file = workdir / "signing-key.pem"
        _write_signing_key(key_file)
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "FLASK_APP", "DATABASE_URL")
               and not k.startswith("MARKETPLACE_")},
            "DATABASE_URL": url, "MARKETPLACE_ENV": "production",
            # Production refuses to start without these; fixed values, as the database is thrown away.
            "SECRET_KEY": "bench-secret-key-" + "x" * 32, "MARKETPLACE_ID_HASH_KEY": "bench-id-hash-key-" + "y" * 32,
            "MARKETPLACE_SIGNING_KEY_FILE": str(key_file), "MARKETPLACE_FILES_DIR": str(workdir / "files"),
            "PYTHONPATH": str(ROOT), **(extra_env or {}),
        }

    def _pg(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.pg_admin, autocommit=True) as connection:
            connection.execute(statement)

    def in_app(self, code: str, *args: str) -> dict:
        """Run `code` in a child process with `app` created (instance folder in the temp dir) and an app context;
        the code sets `result` (a dict), which comes back as JSON."""
        program = (
            "import json, sys\n"
            "from app import app\n"
            f"app.instance_path = {str(self.workdir / 'instance')!r}\n"
            "def cli(*args, stdin=None):\n"
            "    done = app.test_cli_runner().invoke(args=list(args), input=stdin)\n"
            "    if done.exit_code != 0:\n"
            "        raise SystemExit(f'flask {\" \".join(args)} failed: {done.output} {done.exception!r}')\n"
            "    lines = [line for line in done.output.splitlines() if line.startswith('{')]\n"
            "    return json.loads(lines[-1]) if lines else {}\n"
            "result = {}\n"
            "with app.app_context():\n"
            + "".join(f"    {line}\n" for line in code.strip().splitlines()) +
            "print('RESULT-JSON', json.dumps(result, ensure_ascii=False, default=str))\n"
        )
        done = subprocess.run([sys.executable, "-c", program, *args], cwd=ROOT, env=self.env, capture_output=True,
                              text=True, timeout=900)
        if done.returncode != 0:
            raise RuntimeError(f"set-up failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        line = next(line for line in reversed(done.stdout.splitlines()) if line.startswith("RESULT-JSON "))
        return json.loads(line.removeprefix("RESULT-JSON "))

    def load_demo(self, then: str = "") -> dict:
        """`flask --app app db upgrade` and `flask --app app demo load`, then `then` (more set-up code)."""
        started = time.perf_counter()
        # demo load builds absolute links (contracts, consent notices) in a request context of its own at "/",
        # which is a read-only catalog route once marketplace/replica.py is in: a request context at a path that
        # is no route gives the command the same base URL without that clash.
        result = self.in_app("cli('db', 'upgrade')\n"
                             "with app.test_request_context('/bench-set-up', base_url='http://127.0.0.1:8000'):\n"
                             "    result['demo'] = cli('demo', 'load')\n" + then)
        result["seconds"] = round(time.perf_counter() - started, 1)
        return result

    def close(self) -> None:
        if self.pg_name:
            self._pg(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')


def _write_signing_key(path: Path) -> None:
    sys.path.insert(0, str(ROOT))
    from compliance import signing

    path.write_bytes(signing.private_key_to_pem(signing.generate_private_key()))
    path.chmod(0o600)


class Gunicorn:
    """`gunicorn -w WORKERS MODULE:app` in the background; ready when `probe` answers 200 and every worker is up."""

    def __init__(self, module: str, *, env: dict, workdir: Path, probe: str, config: Path | None,
                 chdir: Path = ROOT, workers: int = 2, name: str = "gunicorn"):
        self.port = free_port()
        self.module, self.env, self.probe, self.workers_wanted = module, env, probe, workers
        self.log = workdir / f"{name}.log"
        if config is None:
            config = workdir / "empty-gunicorn.conf.py"
            config.write_text("# the same server settings as the exchange's, without its post_worker_init hook\n")
        self.argv = [str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}",
                     "--config", str(config), "--chdir", str(chdir), "--control-socket",
                     str(workdir / f"{name}.ctl"), module]
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Gunicorn:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + self.probe, timeout=5) as response:
                    if response.status == 200 and len(self.worker_pids()) == self.workers_wanted:
                        time.sleep(1.5)  # post_worker_init of the last worker may still be warming up
                        return self
            except OSError:
                pass
            time.sleep(0.1)
        self.__exit__()
        raise RuntimeError(f"gunicorn did not answer {self.probe} within 90 s: {self.log.read_text()[-2000:]}")

    def __exit__(self, *_exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def worker_pids(self) -> list[int]:
        """The master's children, by parent pid (never by name)."""
        import psutil

        try:
            return [child.pid for child in psutil.Process(self.process.pid).children()]
        except psutil.NoSuchProcess:
            return []

    def memory(self) -> dict:
        """Each worker's RSS and PSS in MB (PSS shares the pages forked from the master fairly between them)."""
        import psutil

        workers = []
        for pid in self.worker_pids():
            try:
                info = psutil.Process(pid).memory_full_info()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            workers.append({"pid": pid, "rss_mb": round(info.rss / 2**20, 1),
                            "pss_mb": round(getattr(info, "pss", 0) / 2**20, 1)})
        return {"workers": workers, "rss_mb_max": max((w["rss_mb"] for w in workers), default=0.0),
                "rss_mb_total": round(sum(w["rss_mb"] for w in workers), 1)}


def prepare_durable_baseline(env: dict) -> None:
    """Create bench/durable_app.py's table once, before its workers start."""
    done = subprocess.run([sys.executable, "-c", "import durable_app; durable_app.prepare()"], cwd=ROOT / "bench",
                          env=env, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"durable_app.prepare failed: {done.stderr[-2000:]}")


def wrk(url: str, *, seconds: float, connections: int, threads: int, headers: dict | None = None,
        workdir: Path) -> dict:
    """One wrk run against `url`; requests/s, latency percentiles in ms, and errors (status >= 400 counted)."""
    script = workdir / "report.lua"
    script.write_text(WRK_REPORT)
    argv = [require_wrk(), "--threads", str(threads), "--connections", str(connections), "--duration",
            f"{max(1, round(seconds))}s", "--timeout", "10s", "--script", str(script)]
    for name, value in (headers or {}).items():
        argv += ["--header", f"{name}: {value}"]
    done = subprocess.run([*argv, url], capture_output=True, text=True, timeout=seconds + 60)
    line = next((line for line in done.stdout.splitlines() if line.startswith("WRK-JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}{done.stderr}")
    raw = json.loads(line.removeprefix("WRK-JSON "))
    seconds_run = raw["duration_us"] / 1e6
    errors = raw["errors"]
    return {
        "requests": raw["requests"], "seconds": round(seconds_run, 2),
        "rps": round(raw["requests"] / seconds_run, 1),
        "p50_ms": round(raw["latency_us"]["p50"] / 1000, 2), "p90_ms": round(raw["latency_us"]["p90"] / 1000, 2),
        "p99_ms": round(raw["latency_us"]["p99"] / 1000, 2), "max_ms": round(raw["latency_us"]["max"] / 1000, 2),
        "errors": errors, "failed": sum(errors.values()),
        "kb_per_response": round(raw["bytes"] / max(1, raw["requests"]) / 1024, 2),
        "wrk": {"threads": threads, "connections": connections},
    }


def fetch(url: str, headers: dict | None = None) -> tuple[int, bytes]:
    """One request (a check before the load: the endpoint answers 200 with what it should)."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # nosec B310 # a local http:// URL
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


# The command line and the outer loop of the HTTP benches (http_bench.py, delivery_bench.py): same options, a run
# per database (SQLite, then PostgreSQL when DATABASE_URL is set), each in a temp dir removed afterwards.

def wrk_arguments(description: str, profile_help: str):
    import argparse

    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="wrk duration per endpoint (default 10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="untimed wrk run before each (default 2; 0 = none)")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (default 4)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1: wrk shares the 2 cores)")
    parser.add_argument("--quick", action="store_true", help="1 s per endpoint, no warm-up: shows it works")
    parser.add_argument("--profile", action="store_true", help=profile_help)
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL even when DATABASE_URL is set")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.warmup = 1.0, 0.0
    require_wrk()
    return args


def run_each_database(name: str, args, run_database, report, **settings) -> None:
    """run_database(url, args, workdir) per database, report(run) after each; writes bench/results/<name>.json."""
    import tempfile

    started = time.perf_counter()
    databases = [None]
    if os.environ.get("DATABASE_URL") and not args.sqlite_only:
        databases.append(os.environ["DATABASE_URL"])
    runs = {}
    for database_url in databases:
        workdir = Path(tempfile.mkdtemp(prefix=f"{name}-bench-"))
        try:
            run = run_database(database_url, args, workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        runs[run["database"]] = run
        report(run)
    result = {"command": " ".join(["python", *sys.argv]), "machine": machine(),
              "settings": {"seconds": args.seconds, "warmup": args.warmup, "connections": args.connections,
                           "threads": args.threads, "gunicorn_workers": 2, "MARKETPLACE_ENV": "production",
                           **settings},
              "runs": runs, "total_seconds": round(time.perf_counter() - started, 1)}
    path = write_result(name + ("-quick" if args.quick else ""), result)
    print(f"\nwrote {path}")


def print_memory_and_profile(run: dict) -> None:
    for name, memory in run["memory"].items():
        print(f"  {name} workers: " + ", ".join(f"RSS {w['rss_mb']} MB (PSS {w['pss_mb']})" for w in memory["workers"]))
    for path, profile in (run["profile"] or {}).items():
        print(f"\nprofile of {path} in-process: {profile['seconds_per_request'] * 1000:.2f} ms per request\n"
              f"{profile['top']}")
