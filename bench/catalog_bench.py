"""Catalog search benchmark: a fixed mix of buyer queries against synthetic catalogs of 10^4 to 10^6 listings.

    .venv/bin/python bench/catalog_bench.py --db sqlite --sizes 10000,100000
    .venv/bin/python bench/catalog_bench.py --db postgresql --sizes 10000,100000,1000000 [--keep]

Prints a table per size and writes bench/results/catalog-<db>.json.

1. load: bench/catalog_data.py generates the catalog (deterministic for --seed) and bulk-loads it into a fresh
   database (a SQLite file under --data-dir, or a database `catalog_bench_<size>_<seed>_v<n>` created on the
   PostgreSQL server of --database-url), then ANALYZE. With --keep the database is kept and reused by the
   next run of the same size, seed and generator version (the load is skipped).
2. API: the mix (QUERIES) runs through the in-process Flask test client, GET /api/v1/listings?…, status 200
   required: --warmup rounds, then --rounds rounds, each in a shuffled order; p50/p95/max per query and over
   the whole mix.
3. SQL: the statements one API call of each query issues (captured with a before_cursor_execute listener)
   are replayed through the raw DB-API connection with their parameters, timed the same way, so the
   framework's share (Flask, marshmallow, the ORM) is the difference.
4. targets: mix p95 ≤ 25 ms at 100k on SQLite, ≤ 50 ms at 1M on PostgreSQL, and t(1M)/t(10k) ≤ 3 of the
   mix p95 on PostgreSQL (the SQLite ratio t(100k)/t(10k) is printed for information).
A query slower than its --budget (60 s per size) stops after 5 samples; its sample count is in the JSON.

Proposed changes, measured without editing the app: --schema NAME loads a separate catalog whose search
index has a changed DDL (SCHEMAS; the per-query body_sha256 in the JSON shows the responses are the same),
and --candidates N runs with MARKETPLACE_SEARCH_CANDIDATES = N.
--explain records the query plan of every statement (EXPLAIN QUERY PLAN; EXPLAIN (ANALYZE, BUFFERS)).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import catalog_data  # noqa: E402
import psycopg  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import event, text  # noqa: E402

from marketplace.app_factory import create_app  # noqa: E402
from marketplace.catalog import search_index  # noqa: E402
from marketplace.extensions import db  # noqa: E402

# What buyers type: browsing, one filter, two filters, rare / common / one-character / two-word / mixed-language text,
# English words, text with a filter, and a deep page sorted by price.
QUERIES = [
    ("browse", {}),
    ("sector=finance", {"sector": "finance"}),
    ("delivery=api", {"delivery": "api"}),
    ("sector=finance&delivery=api", {"sector": "finance", "delivery": "api"}),
    ("q=陈皮", {"q": "陈皮"}),
    ("q=社保", {"q": "社保"}),
    ("q=电", {"q": "电"}),
    ("q=电力 负荷", {"q": "电力 负荷"}),
    ("q=社保 loan", {"q": "社保 loan"}),
    ("q=credit", {"q": "credit"}),
    ("q=social insurance", {"q": "social insurance"}),
    ("q=电力&delivery=api", {"q": "电力", "delivery": "api"}),
    ("q=金融&sort=price_asc&page=2", {"q": "金融", "sort": "price_asc", "page": 2}),
]
MIN_SAMPLES = 5
TARGETS = {"sqlite": (100_000, 25.0), "postgresql": (1_000_000, 50.0)}
RATIO_TARGET = 3.0
TRANSACTION_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK)\b", re.IGNORECASE)
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
# Wide enough for the table when the output is a file or a pipe (make, CI logs).
console = Console(width=None if sys.stdout.isatty() else 150)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _summary(values: list[float]) -> dict:
    return {"p50_ms": round(_percentile(values, 0.5), 2), "p95_ms": round(_percentile(values, 0.95), 2),
            "max_ms": round(max(values), 2), "mean_ms": round(statistics.fmean(values), 2), "n": len(values)}


def _url(params: dict) -> str:
    return "/api/v1/listings" + (f"?{urlencode(params)}" if params else "")


# ------------------------------------------------------------------------------------------------------------
# Databases
# ------------------------------------------------------------------------------------------------------------

def _pg_url(url: str, database: str | None = None) -> str:
    url = url.replace("postgres://", "postgresql://", 1)
    if database is not None:
        url = url.rsplit("/", 1)[0] + "/" + database
    return url


def _sqlalchemy_url(url: str) -> str:
    return "postgresql+psycopg://" + url.removeprefix("postgresql://") if url.startswith("postgresql://") else url


def _config(uri: str, workdir: Path, candidates: int | None = None) -> dict:
    config = {"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "bench", "TESTING": False, "REDIS_URL": None,
              "MARKETPLACE_FILES_DIR": str(workdir / "files"),
              "MARKETPLACE_SIGNING_KEY_FILE": str(workdir / "signing-key.pem"),
              # What is measured is the search: the server's copies of anonymous catalog answers (httpcache.py)
              # would answer every repeat of the mix with one indexed read.
              "CACHE_TYPE": "NullCache"}
    if candidates:
        config["MARKETPLACE_SEARCH_CANDIDATES"] = candidates
    return config


class Database:
    """One loaded catalog: where it lives, whether it was reused, and how to remove it."""

    def __init__(self, kind: str, spec: catalog_data.Spec, args) -> None:
        self.kind, self.spec, self.args = kind, spec, args
        self.workdir = Path(args.data_dir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.key = spec.key + (f"_{args.schema}" if args.schema else "")
        if kind == "sqlite":
            self.path = self.workdir / f"catalog-{self.key}.db"
            self.marker = self.path.with_suffix(".json")
            self.uri = f"sqlite:///{self.path}"
        else:
            self.admin = _pg_url(args.database_url)
            self.name = f"catalog_bench_{self.key}".lower().replace("-", "_")
            self.uri = _sqlalchemy_url(_pg_url(args.database_url, self.name))

    # A database counts as loaded only once the loader finished: a marker file, or the database's comment.
    def loaded(self) -> dict | None:
        if self.kind == "sqlite":
            info = json.loads(self.marker.read_text()) if self.path.exists() and self.marker.exists() else None
        else:
            with psycopg.connect(self.admin, autocommit=True) as conn:
                row = conn.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                                   "WHERE datname = %s", (self.name,)).fetchone()
            info = json.loads(row[0]) if row and row[0] and row[0].startswith("{") else None
        if info is not None and info.get("schema_fingerprint") != schema_fingerprint(self.kind, self.args.schema):
            console.print(f"[yellow]the app's schema changed since {self.key} was loaded: loading it again[/]")
            return None
        return info

    def create(self) -> None:
        self.remove()
        if self.kind == "postgresql":
            with psycopg.connect(self.admin, autocommit=True) as conn:
                conn.execute(f"CREATE DATABASE {self.name} ENCODING 'UTF8' TEMPLATE template0")

    def mark_loaded(self, info: dict) -> None:
        if self.kind == "sqlite":
            self.marker.write_text(json.dumps(info))
            return
        with psycopg.connect(self.admin, autocommit=True) as conn:
            comment = json.dumps(info).replace("'", "''")
            conn.execute(f"COMMENT ON DATABASE {self.name} IS '{comment}'")

    def remove(self) -> None:
        if self.kind == "sqlite":
            for path in (self.path, self.marker, Path(f"{self.path}-wal"), Path(f"{self.path}-shm")):
                path.unlink(missing_ok=True)
            return
        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")

    def size(self) -> dict:
        if self.kind == "sqlite":
            files = [self.path, Path(f"{self.path}-wal")]
            out = {"database_mb": round(sum(p.stat().st_size for p in files if p.exists()) / 1e6, 1)}
            conn = sqlite3.connect(self.path)
            try:
                rows = conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall()
                out["largest_mb"] = {name: round(n / 1e6, 1) for name, n in sorted(rows, key=lambda r: -r[1])[:8]}
            except sqlite3.OperationalError:  # dbstat is optional in SQLite builds
                pass
            finally:
                conn.close()
            return out
        with psycopg.connect(_pg_url(self.args.database_url, self.name)) as conn:
            total = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
            rows = conn.execute(
                "SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' "
                "AND c.relkind IN ('r', 'i', 't') ORDER BY 2 DESC LIMIT 10").fetchall()
            toast = conn.execute("SELECT pg_total_relation_size('catalog_search')").fetchone()[0]
        return {"database_mb": round(total / 1e6, 1), "catalog_search_total_mb": round(toast / 1e6, 1),
                "largest_mb": {name: round(n / 1e6, 1) for name, n in rows}}


CATALOG_TABLES = ("listings", "offers", "catalog_search", "catalog_facet_counts")


def catalog_tables() -> list:
    """The catalog's tables and every table they refer to, in creation order: what a search can touch."""
    wanted, pending = set(), list(CATALOG_TABLES)
    while pending:
        table = db.metadata.tables[pending.pop()]
        if table.name not in wanted:
            wanted.add(table.name)
            pending += [key.column.table.name for key in table.foreign_keys]
    return [table for table in db.metadata.sorted_tables if table.name in wanted]


def schema_fingerprint(kind: str, schema: str | None) -> str:
    """A digest of the catalog's tables and indexes (and the search index DDL): a kept catalog is reused only
    while it still has the schema the app would build for searching. Features that add unrelated tables (trading,
    consent…) leave it alone, so a 26-minute million-listing load is not redone for them."""
    from sqlalchemy.schema import CreateIndex, CreateTable

    dialect = catalog_data._dialect(kind)
    parts = []
    for table in catalog_tables():
        parts.append(str(CreateTable(table).compile(dialect=dialect)))
        parts += sorted(str(CreateIndex(ix).compile(dialect=dialect)) for ix in table.indexes)
    parts += list(search_index.SQLITE_DDL if kind == "sqlite" else search_index.POSTGRES_DDL)
    parts += SCHEMAS[schema][kind] if schema else []
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def prepare(kind: str, spec: catalog_data.Spec, args):
    """A Flask app on a loaded catalog of `spec`: reused (--keep) or generated now."""
    database = Database(kind, spec, args)
    # The app first (it connects to nothing yet): it imports every model the schema fingerprint covers.
    app = create_app(_config(database.uri, database.workdir, args.candidates))
    info = database.loaded() if args.keep else None
    if info is not None:
        console.print(f"[green]reusing[/] the loaded catalog {database.key} ({database.uri.split('@')[-1]})")
        return app, database, {**info, "reused": True}
    database.create()
    with app.app_context():
        db.create_all()
        for statement in SCHEMAS[args.schema][kind] if args.schema else ():
            db.session.execute(text(statement))
        db.session.commit()
        columns = [TextColumn("loading {task.fields[size]:,} listings"), BarColumn(),
                   TextColumn("{task.completed:,}/{task.total:,}"), TimeElapsedColumn(), TimeRemainingColumn()]
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("load", total=spec.listings, size=spec.listings)
            load = catalog_data.load(db.engine, spec, workers=args.workers,
                                     progress=lambda done, total: progress.update(task, completed=done))
        db.session.remove()
        db.engine.dispose()
    if kind == "sqlite":
        connection = sqlite3.connect(database.path)
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()
    info = {"key": database.key, "schema": args.schema, "schema_fingerprint": schema_fingerprint(kind, args.schema),
            "listings": spec.listings, "seed": spec.seed, "load": load,
            "size": database.size(), "loaded_at": time.strftime("%Y-%m-%dT%H:%M:%S")}
    database.mark_loaded(info)
    timings = load["timings"]
    console.print(f"loaded {spec.listings:,} listings in {timings['total_s']:.1f} s "
                  f"(generate+write {timings['generate_and_write_s']:.1f} s, facet counts "
                  f"{timings['facet_counts_s']:.1f} s, indexes {timings['indexes_s']:.1f} s, "
                  f"analyze {timings['analyze_s']:.1f} s): {info['size']['database_mb']:,} MB; rows {load['rows']}")
    return app, database, {**info, "reused": False}


# ------------------------------------------------------------------------------------------------------------
# Measuring
# ------------------------------------------------------------------------------------------------------------

class Capture:
    """The statements the engine sends while armed (before_cursor_execute), with their parameters."""

    def __init__(self, engine) -> None:
        self.armed = False
        self.statements: list[tuple[str, object]] = []
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn, _cursor, statement, parameters, _context, executemany) -> None:
        if self.armed:
            self.statements.append((statement, parameters))

    def take(self, call) -> list[tuple[str, object]]:
        self.statements, self.armed = [], True
        try:
            call()
        finally:
            self.armed = False
        return self.statements


def _due(timings: list[float], budget_s: float) -> bool:
    """Whether a query still runs this round: always for the first MIN_SAMPLES, then while within its budget."""
    return len(timings) < MIN_SAMPLES or sum(timings) < budget_s * 1000


def measure_api(app, rounds: int, warmup: int, rng: random.Random, budget_s: float) -> tuple[dict, dict]:
    client = app.test_client()
    shapes: dict[str, dict] = {}
    bodies: dict[str, dict] = {}

    def get(label: str, params: dict) -> float:
        started = time.perf_counter()
        response = client.get(_url(params))
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{label}: HTTP {response.status_code}: {response.get_data(as_text=True)[:300]}")
        if label not in shapes:
            body = response.get_json()
            shapes[label] = {"total": body["total"], "items": len(body["items"]),
                             "facet_values": sum(len(v) for v in body["facets"].values())}
            bodies[label] = body
        return elapsed

    for _ in range(warmup):
        for label, params in QUERIES:
            get(label, params)
    timings: dict[str, list[float]] = {label: [] for label, _ in QUERIES}
    order = list(QUERIES)
    for _ in range(rounds):
        rng.shuffle(order)
        for label, params in order:
            if _due(timings[label], budget_s):
                timings[label].append(get(label, params))
    return timings, shapes, bodies


def capture_statements(app) -> dict[str, list[tuple[str, object]]]:
    client = app.test_client()
    with app.app_context():
        capture = Capture(db.engine)
    captured = {}
    for label, params in QUERIES:
        statements = capture.take(lambda params=params: client.get(_url(params)))
        captured[label] = [(s, p) for s, p in statements if not TRANSACTION_CONTROL.match(s)]
    return captured


def measure_sql(app, captured: dict, rounds: int, warmup: int, rng: random.Random,
                budget_s: float) -> dict[str, list[float]]:
    """Replay each query's statements through the raw DB-API connection, fetching every row, one transaction each."""
    with app.app_context():
        raw = db.engine.raw_connection()
    try:
        connection = raw.driver_connection
        is_sqlite = isinstance(connection, sqlite3.Connection)

        def replay(statements) -> float:
            started = time.perf_counter()
            cursor = connection.cursor()
            if is_sqlite:
                cursor.execute("BEGIN")
            for statement, parameters in statements:
                cursor.execute(statement, parameters)
                if cursor.description is not None:  # a SET has no rows
                    cursor.fetchall()
            connection.rollback()
            cursor.close()
            return (time.perf_counter() - started) * 1000

        for _ in range(warmup):
            for label, _params in QUERIES:
                replay(captured[label])
        timings: dict[str, list[float]] = {label: [] for label, _ in QUERIES}
        order = [label for label, _ in QUERIES]
        for _ in range(rounds):
            rng.shuffle(order)
            for label in order:
                if _due(timings[label], budget_s):
                    timings[label].append(replay(captured[label]))
        return timings
    finally:
        raw.close()


def explain(app, captured: dict) -> dict[str, list[dict]]:
    """The plan of every statement of every query: EXPLAIN QUERY PLAN, or EXPLAIN (ANALYZE, BUFFERS)."""
    plans: dict[str, list[dict]] = {}
    with app.app_context():
        raw = db.engine.raw_connection()
    try:
        connection = raw.driver_connection
        is_sqlite = isinstance(connection, sqlite3.Connection)
        prefix = "EXPLAIN QUERY PLAN " if is_sqlite else "EXPLAIN (ANALYZE, BUFFERS) "
        for label, statements in captured.items():
            plans[label] = []
            for statement, parameters in statements:
                cursor = connection.cursor()
                if not statement.lstrip().upper().startswith("SELECT") \
                        and not statement.lstrip().upper().startswith("WITH"):
                    cursor.execute(statement, parameters)  # SET LOCAL …: applies to the plans that follow
                    continue
                cursor.execute(prefix + statement, parameters)
                lines = [" " * (3 * (row[1] != 0)) + str(row[-1]) if is_sqlite else row[0] for row in cursor.fetchall()]
                plans[label].append({"sql": statement[:400], "plan": lines})
                cursor.close()
            connection.rollback()
    finally:
        raw.close()
    return plans


def measure(app, kind: str, size: int, info: dict, args) -> dict:
    """The mix through the API, then as raw SQL."""
    rng = random.Random(args.seed + size)
    load_before = os.getloadavg()
    started = time.perf_counter()
    api, shapes, bodies = measure_api(app, args.rounds, args.warmup, rng, args.budget)
    captured = capture_statements(app)
    sql = measure_sql(app, captured, args.rounds, args.warmup, rng, args.budget)
    result = {
        "listings": size, "catalog": info,
        "queries": {label: {"url": _url(params), **shapes[label], "statements": len(captured[label]),
                            # The response body's digest: equal digests across runs (--schema) = same results.
                            "body_sha256": hashlib.sha256(json.dumps(bodies[label], sort_keys=True,
                                                                     ensure_ascii=False).encode()).hexdigest(),
                            "api": _summary(api[label]), "sql": _summary(sql[label])}
                    for label, params in QUERIES},
        "mix": {"api": _summary([t for values in api.values() for t in values]),
                "sql": _summary([t for values in sql.values() for t in values])},
        "seconds": round(time.perf_counter() - started, 1),
        # Other work on the machine shows in the timings: the 1-minute load average before and after.
        "load_average": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
    }
    if args.explain:
        result["plans"] = explain(app, captured)
    _print_size(kind, result)
    return result


def run_size(kind: str, size: int, args) -> dict:
    spec = catalog_data.Spec(size, seed=args.seed)
    app, database, info = prepare(kind, spec, args)
    try:
        result = measure(app, kind, size, info, args)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        return result
    finally:
        if not args.keep:
            database.remove()


# ------------------------------------------------------------------------------------------------------------
# Proposed changes, measured without editing the app
# ------------------------------------------------------------------------------------------------------------

# Proposed schema changes (search_index.py's DDL), applied right after create_all and before the load, so the
# loader's index build and every later write go through them: --schema NAME loads a separate database.
SCHEMAS = {
    # catalog_search rows are ~1.7 kB in the heap (the four term strings) beside the TOASTed tsvector, so a
    # bitmap heap scan over the GIN index's matches reads a page per match; toasting every long value keeps
    # the heap to ~0.3 kB per row (173 → 27 MB at 10^5 listings).
    "narrow-heap": {"sqlite": [], "postgresql": ["ALTER TABLE catalog_search SET (toast_tuple_target = 128)"]},
}

# ------------------------------------------------------------------------------------------------------------
# Output
# ------------------------------------------------------------------------------------------------------------

def _print_size(kind: str, result: dict) -> None:
    catalog = result["catalog"]
    load = catalog["load"]
    schema = f" — schema {catalog['schema']}" if catalog.get("schema") else ""
    table = Table(title=f"{kind} — {result['listings']:,} listings{schema} "
                        f"({'reused' if catalog['reused'] else 'loaded'}: {load['timings']['total_s']:.0f} s, "
                        f"{catalog['size']['database_mb']:,} MB)", title_justify="left")
    for name, justify in (("query", "left"), ("matches", "right"), ("stmts", "right"), ("API p50", "right"),
                          ("API p95", "right"), ("API max", "right"), ("SQL p50", "right"), ("SQL p95", "right"),
                          ("SQL max", "right"), ("SQL share", "right")):
        table.add_column(name, justify=justify)
    for label, item in result["queries"].items():
        api, sql = item["api"], item["sql"]
        table.add_row(label, f"{item['total']:,}", str(item["statements"]), f"{api['p50_ms']:.1f}",
                      f"{api['p95_ms']:.1f}", f"{api['max_ms']:.1f}", f"{sql['p50_ms']:.1f}", f"{sql['p95_ms']:.1f}",
                      f"{sql['max_ms']:.1f}", f"{sql['p50_ms'] / api['p50_ms']:.0%}")
    api, sql = result["mix"]["api"], result["mix"]["sql"]
    table.add_row("[bold]mix[/]", "", "", f"[bold]{api['p50_ms']:.1f}", f"[bold]{api['p95_ms']:.1f}",
                  f"{api['max_ms']:.1f}", f"[bold]{sql['p50_ms']:.1f}", f"[bold]{sql['p95_ms']:.1f}",
                  f"{sql['max_ms']:.1f}", f"{sql['p50_ms'] / api['p50_ms']:.0%}")
    console.print(table)
    console.print(f"  times in ms; SQL = the captured statements replayed on the raw DB-API connection; "
                  f"load average {result['load_average'][0]} → {result['load_average'][1]}")


def _verdict(ok: bool) -> str:
    return "[bold green]PASS[/]" if ok else "[bold red]FAIL[/]"


def targets(kind: str, results: dict[int, dict]) -> dict:
    out: dict = {}
    size, limit = TARGETS[kind]
    if size in results:
        p95 = results[size]["mix"]["api"]["p95_ms"]
        out["p95"] = {"size": size, "limit_ms": limit, "api_p95_ms": p95, "pass": p95 <= limit,
                      "sql_p95_ms": results[size]["mix"]["sql"]["p95_ms"]}
        console.print(f"mix p95 at {size:,} ({kind}): {p95:.1f} ms (target ≤ {limit:g} ms) {_verdict(p95 <= limit)}"
                      f"   [dim]raw SQL p95 {out['p95']['sql_p95_ms']:.1f} ms[/]")
    if len(results) > 1:
        small, large = min(results), max(results)
        ratio = results[large]["mix"]["api"]["p95_ms"] / results[small]["mix"]["api"]["p95_ms"]
        sql_ratio = results[large]["mix"]["sql"]["p95_ms"] / results[small]["mix"]["sql"]["p95_ms"]
        out["ratio"] = {"small": small, "large": large, "api": round(ratio, 2), "sql": round(sql_ratio, 2)}
        line = f"t({large:,}) / t({small:,}) of the mix p95 ({kind}): {ratio:.2f}   [dim]raw SQL {sql_ratio:.2f}[/]"
        if kind == "postgresql" and (small, large) == (10_000, 1_000_000):
            out["ratio"]["limit"], out["ratio"]["pass"] = RATIO_TARGET, ratio <= RATIO_TARGET
            line += f" (target ≤ {RATIO_TARGET:g}) {_verdict(ratio <= RATIO_TARGET)}"
        console.print(line)
    return out


def machine(kind: str, args) -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "sqlite": sqlite3.sqlite_version}
    if kind == "postgresql":
        with psycopg.connect(_pg_url(args.database_url), autocommit=True) as conn:
            info["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]
            info["postgresql_settings"] = dict(conn.execute(
                "SELECT name, setting || COALESCE(unit, '') FROM pg_settings WHERE name IN ('shared_buffers', "
                "'work_mem', 'effective_cache_size', 'max_parallel_workers_per_gather', 'random_page_cost', "
                "'jit')").fetchall())
    return info


def _commit() -> str:
    """The commit measured, and whether the search code differs from it (others edit the tree meanwhile)."""
    import subprocess

    def git(*argv: str) -> str:
        done = subprocess.run(["git", *argv], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "marketplace/catalog", "marketplace/database.py")
    return head + (" (search code modified)" if dirty else "")


def _postgres_answers(url: str) -> bool:
    try:
        psycopg.connect(_pg_url(url), connect_timeout=3).close()
        return True
    except psycopg.OperationalError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--sizes", default=None, help="listings per catalog, comma-separated "
                        "(default 10000,100000 on SQLite; 10000,100000,1000000 on PostgreSQL)")
    parser.add_argument("--seed", type=int, default=catalog_data.SEED)
    parser.add_argument("--rounds", type=int, default=30, help="timed rounds of the whole mix (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed rounds first (default 3)")
    parser.add_argument("--budget", type=float, default=60.0,
                        help=f"seconds per query and size: a query past it stops after {MIN_SAMPLES} samples "
                             "(its sample count is in the JSON; default 60)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="generator processes during the load (default: one per core; 0 = in-process)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the loaded databases and reuse one of the same size and seed (skips the load)")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_PG,
                        help="PostgreSQL server (any database on it): the bench creates and drops its own databases")
    parser.add_argument("--data-dir", default=str(Path(tempfile.gettempdir()) / "catalog-bench"),
                        help="where the SQLite catalogs are written")
    parser.add_argument("--skip-unavailable", action="store_true",
                        help="with --db postgresql: exit quietly when the server does not answer")
    parser.add_argument("--explain", action="store_true", help="record every statement's query plan in the JSON")
    parser.add_argument("--candidates", type=int,
                        help="MARKETPLACE_SEARCH_CANDIDATES for the run (default: the app's, 2000)")
    parser.add_argument("--schema", choices=sorted(SCHEMAS),
                        help="load (or reuse) a catalog whose search index has a proposed schema change")
    args = parser.parse_args()
    kind = args.db
    if kind == "postgresql" and not _postgres_answers(args.database_url):
        if args.skip_unavailable:
            console.print(f"PostgreSQL does not answer at {args.database_url.split('@')[-1]}: catalog bench skipped")
            return
        raise SystemExit(f"PostgreSQL does not answer at {args.database_url}")
    default = "10000,100000" if kind == "sqlite" else "10000,100000,1000000"
    sizes = sorted(int(s.replace("_", "")) for s in (args.sizes or default).split(","))
    info = machine(kind, args)
    commit = _commit()  # at the start: the code the process imports is the code of this moment
    console.print(f"[bold]catalog bench[/] ({kind}): sizes {', '.join(f'{s:,}' for s in sizes)}, seed {args.seed}, "
                  f"{args.rounds} rounds of {len(QUERIES)} queries after {args.warmup} warm-up rounds")
    console.print(f"commit {commit}; machine: {info['cpu']}, {info['cores']} cores, Python {info['python']}, "
                  f"SQLite {info['sqlite']}" + (f", PostgreSQL {info['postgresql']}" if "postgresql" in info else ""))
    results = {size: run_size(kind, size, args) for size in sizes}
    verdicts = targets(kind, results)
    output = {"command": " ".join(["python", *sys.argv]), "commit": commit, "database": kind,
              "schema": args.schema, "candidates": args.candidates, "seed": args.seed,
              "generator_version": catalog_data.GENERATOR_VERSION, "rounds": args.rounds, "warmup": args.warmup,
              "machine": info, "targets": verdicts, "sizes": {str(size): r for size, r in results.items()}}
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    suffix = (f"-{args.schema}" if args.schema else "") + (f"-c{args.candidates}" if args.candidates else "")
    path = out / f"catalog-{kind}{suffix}.json"
    path.write_text(json.dumps(output, ensure_ascii=False, indent=2))
    console.print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
