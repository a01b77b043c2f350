"""Registration benchmark: products per second through the whole registration path, in-process, against the bare
commits that path needs, in the same run.

    .venv/bin/python bench/registration_bench.py [--products 40] [--quick] [--database-url URL]

Prints a table and writes bench/results/registration.json (registration-quick.json with --quick).

1. set-up: the real app on a temp SQLite file (production-like: WAL, synchronous=FULL, migrated with the real
   Alembic migrations, so the audit log's triggers are there), or on a scratch PostgreSQL database created on the
   server of DATABASE_URL / --database-url and dropped afterwards; one provider with a broker, one law firm with a
   reviewer, made through the account services. No REDIS_URL: the sample scan runs inline, as in `make run`.
2. path, per product, through the services as the API calls them: create the draft, upload a sample CSV (the
   automatic checks and the PI scan run), attach the source-legality commitment (SRC-02), submit, the reviewer
   passes every applicable checklist item one by one and approves (the public notice opens). Then housekeeping
   (`register_due_products`, the job behind `flask housekeeping`) runs once with its clock argument moved past the
   notice period and issues every certificate (Ed25519 signature, transparency-log leaf, signed checkpoint).
   Each phase is timed; commits and SQL statements are counted with engine events.
3. baseline: as many transactions as the path committed, each one audit entry and nothing else (`audit.record`
   in a `unit_of_work`). Why this baseline: every step of the path is a use case that must commit on its own,
   durably (synchronous=FULL on SQLite), with its hash-chained audit entry; no implementation of the same path
   with the same guarantees can do fewer or cheaper commits. So the ratio baseline time / path time says how much
   of the path's cost is that unavoidable floor, and its inverse how many times the floor the path's own work
   (scanning, checklist evaluation, state machines, signing, the Merkle log) costs.
4. checks: every product is registered with one valid certificate, and the audit chain verifies.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import shutil
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import serving  # noqa: E402
from flask import current_app  # noqa: E402
from sqlalchemy import event, func, select  # noqa: E402

from compliance import signing  # noqa: E402
from compliance.identifiers import make_uscc  # noqa: E402
from marketplace import audit  # noqa: E402
from marketplace.accounts import services as accounts  # noqa: E402
from marketplace.accounts.models import User  # noqa: E402
from marketplace.app_factory import create_app  # noqa: E402
from marketplace.database import unit_of_work  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from marketplace.products import services as products  # noqa: E402
from marketplace.registration import services as registration  # noqa: E402
from marketplace.registration.models import Certificate, Review  # noqa: E402
from marketplace.types import utcnow  # noqa: E402

FIELDS = [
    {"name": "month", "type": "date", "description": "Billing month", "pi": False, "sensitive": False},
    {"name": "district", "type": "string", "description": "District", "pi": False, "sensitive": False},
    {"name": "kwh", "type": "integer", "description": "Electricity used", "pi": False, "sensitive": False},
]
# 300 rows: a small but realistic sample (the scan and quality checks read every row).
SAMPLE = ("month,district,kwh\n" + "".join(
    f"2026-{m:02d}-01,{d},{1000 + m * 37 + i}\n" for m in range(1, 13) for i, d in enumerate(
        ["蓬江", "江海", "新会", "台山", "开平", "鹤山", "恩平", "棠下", "杜阮", "荷塘", "潮连", "环市", "白沙",
         "北街", "堤东", "礼乐", "外海", "会城", "大泽", "司前", "罗坑", "双水", "崖门", "沙堆", "古井"]))).encode()
DRAFT = {
    "product_type": "dataset", "sector": "energy",
    "description": "Monthly electricity use by district, for credit support.", "scenarios": ["credit_support"],
    "source_type": "self_generated", "source_description": "Metering data of the utility's own grid.",
    "security_level": "general", "delivery_modes": ["file"], "rights": ["holding", "processing", "operating"],
    "price_mode": "one_off", "field_dictionary": FIELDS,
}
PHASES = ("draft", "sample", "evidence", "submit", "items", "approve", "housekeeping")


class Counter:
    """Commits and SQL statements the engine saw."""

    def __init__(self, engine) -> None:
        self.commits = self.statements = 0
        event.listen(engine, "commit", self._commit)
        event.listen(engine, "before_cursor_execute", self._statement)

    def _commit(self, *_args) -> None:
        self.commits += 1

    def _statement(self, *_args) -> None:
        self.statements += 1


def _config(workdir: Path, database_url: str | None) -> dict:
    key = workdir / "signing-key.pem"
    key.write_bytes(signing.private_key_to_pem(signing.generate_private_key()))
    uri = database_url or f"sqlite:///{workdir / 'bench.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if uri.startswith(prefix):
            uri = "postgresql+psycopg://" + uri.removeprefix(prefix)
    return {"SECRET_KEY": "registration-bench", "MARKETPLACE_ID_HASH_KEY": "registration-bench-id-hash",
            "SQLALCHEMY_DATABASE_URI": uri, "MARKETPLACE_FILES_DIR": str(workdir / "files"),
            "MARKETPLACE_SIGNING_KEY_FILE": str(key), "REDIS_URL": None,
            # Accounts are set-up, not what is measured: a quick password hash.
            "MARKETPLACE_PASSWORD_HASH": "pbkdf2:sha256:1000"}


def _people():
    provider = accounts.create_organization(name="江门市电力数据服务有限公司", name_en="Bench Power Data",
                                            uscc=make_uscc("91440700MA0000001"), kind="provider")
    lawfirm = accounts.create_organization(name="广东某某律师事务所", name_en="Bench Law Firm",
                                           uscc=make_uscc("31440000MD0000002"), kind="reviewer")
    broker = accounts.create_user(email="broker@bench.test", name="broker", password="bench password 42",
                                  role="broker", org_uscc=provider.uscc, is_org_admin=True)
    reviewer = accounts.create_user(email="reviewer@bench.test", name="reviewer", password="bench password 42",
                                    role="reviewer", org_uscc=lawfirm.uscc)
    return broker, reviewer


def _timed(phases: dict, phase: str, function, *args, **kwargs):
    started = time.perf_counter()
    try:
        return function(*args, **kwargs)
    finally:
        phases[phase] += time.perf_counter() - started


def register(count: int, broker_id: int, reviewer_id: int) -> dict:
    """`count` products from draft to public notice, then one housekeeping run past the notice period."""
    phases = dict.fromkeys(PHASES, 0.0)
    items_decided = 0
    for n in range(count):
        # As a request does: the acting users loaded afresh, nothing carried over from the previous product.
        db.session.expunge_all()
        broker, reviewer = db.session.get(User, broker_id), db.session.get(User, reviewer_id)
        product = _timed(phases, "draft", products.create_product, actor=broker, name=f"江门工业用电指数 {n:04d}",
                         name_en=f"Jiangmen industrial electricity index {n}", **DRAFT)
        _timed(phases, "sample", products.upload_sample, product.id, data=SAMPLE, filename="sample.csv",
               actor=broker)
        _timed(phases, "evidence", products.add_evidence, product.id, item_code="SRC-02",
               data=b"We commit the data is lawfully sourced.", filename="commitment.txt", note="", actor=broker)
        _timed(phases, "submit", registration.submit_product, product.id, actor=broker)
        review_id = db.session.scalar(select(Review.id).where(Review.version_id == product.latest.id)
                                      .order_by(Review.id.desc()))
        started = time.perf_counter()
        review = registration.get_review(review_id, actor=reviewer)
        for code in [item.code for item in review.items if item.applicable and item.decision != "pass"]:
            registration.decide_item(review_id, code, decision="pass", note="checked", actor=reviewer)
            items_decided += 1
        phases["items"] += time.perf_counter() - started
        _timed(phases, "approve", registration.decide_review, review_id, decision="approve", actor=reviewer)
    hours = current_app.config["MARKETPLACE_NOTICE_PERIOD_HOURS"]
    now = utcnow() + timedelta(hours=hours, minutes=1)  # the service's own clock argument
    issued = _timed(phases, "housekeeping", registration.register_due_products, now=now)
    return {"phases": phases, "items_decided": items_decided, "issued": len(issued["issued"]),
            "skipped": issued["skipped"]}


def baseline(commits: int, actor) -> float:
    """`commits` transactions, each one audit entry (the hash chain's head row locked and moved) and nothing else."""
    started = time.perf_counter()
    for n in range(commits):
        with unit_of_work():
            audit.record(actor, "bench.baseline", "product", n, {"n": n})
    return time.perf_counter() - started


def run(database_url: str | None, count: int, workdir: Path) -> dict:
    app = create_app(_config(workdir, database_url))
    with app.app_context(), app.test_request_context("/bench-set-up", base_url="http://127.0.0.1:8000"):
        from flask_migrate import upgrade

        logging.disable(logging.INFO)  # Alembic's line per migration is not the bench's output
        try:
            upgrade(directory=str(ROOT / "migrations"))
        finally:
            logging.disable(logging.NOTSET)
        engine = db.engine
        dialect = engine.dialect.name
        broker_id, reviewer_id = (user.id for user in _people())
        # One product first, untimed: imports, the dictionary and caches are warm before the clock starts.
        register(1, broker_id, reviewer_id)
        counter = Counter(engine)
        load_before = serving.load_average()
        started = time.perf_counter()
        path = register(count, broker_id, reviewer_id)
        seconds = time.perf_counter() - started
        commits, statements = counter.commits, counter.statements
        baseline_seconds = baseline(commits, db.session.get(User, broker_id))
        certificates = db.session.scalar(select(func.count()).select_from(Certificate)
                                         .where(Certificate.status == "valid"))
        chain = audit.verify_chain()
        db.session.remove()
        engine.dispose()
    ratio = baseline_seconds / seconds
    result = {
        "database": dialect, "products": count, "seconds": round(seconds, 2),
        "products_per_s": round(count / seconds, 2), "ms_per_product": round(1000 * seconds / count, 1),
        "phases_ms_per_product": {name: round(1000 * value / count, 1) for name, value in path["phases"].items()},
        "items_decided_per_product": round(path["items_decided"] / count, 1),
        "commits_per_product": round(commits / count, 1), "statements_per_product": round(statements / count, 1),
        "certificates_issued": path["issued"], "valid_certificates": certificates, "audit_chain_ok": chain.ok,
        "baseline": {"what": "the same number of transactions, each one audit entry", "commits": commits,
                     "seconds": round(baseline_seconds, 2),
                     "ms_per_commit": round(1000 * baseline_seconds / commits, 2),
                     "ms_per_product": round(1000 * baseline_seconds / count, 1)},
        "ratio": round(ratio, 3),
        "load_average": {"before": load_before, "after": serving.load_average()},
    }
    assert path["issued"] == count, f"housekeeping issued {path['issued']} certificates for {count} products"
    assert chain.ok, "the audit chain does not verify"
    return result


def _print(result: dict) -> None:
    base = result["baseline"]
    print(f"\n{result['database']}: {result['products']} products registered in {result['seconds']:.1f} s = "
          f"{result['products_per_s']:.2f} products/s, {result['ms_per_product']:.0f} ms each "
          f"({result['commits_per_product']:g} commits, {result['statements_per_product']:g} SQL statements each; "
          f"{result['items_decided_per_product']:g} checklist items decided)")
    print("  per product, ms: " + ", ".join(f"{k} {v:g}" for k, v in result["phases_ms_per_product"].items()))
    print(f"  baseline: {base['commits']:,} bare commits with one audit entry each in {base['seconds']:.1f} s "
          f"({base['ms_per_commit']:g} ms each = {base['ms_per_product']:g} ms per product)")
    print(f"  baseline / path: {result['ratio']:.3f} (the path costs {1 / result['ratio']:.1f}× its commits); "
          f"{result['valid_certificates']} valid certificates, audit chain "
          f"{'verifies' if result['audit_chain_ok'] else 'BROKEN'}; "
          f"load average {result['load_average']['before']} → {result['load_average']['after']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=40, help="products registered (default 40)")
    parser.add_argument("--quick", action="store_true", help="3 products: shows it works")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"),
                        help="PostgreSQL server (default DATABASE_URL): the bench also runs on a scratch database "
                             "it creates there and drops")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL even when DATABASE_URL is set")
    args = parser.parse_args()
    count = 3 if args.quick else args.products
    started = time.perf_counter()
    results = {}
    targets = [None] + ([args.database_url] if args.database_url and not args.sqlite_only else [])
    for database_url in targets:
        workdir = Path(tempfile.mkdtemp(prefix="registration-bench-"))
        scratch = None
        try:
            if database_url:
                scratch = _ScratchDatabase(database_url)
                database_url = scratch.url
            result = run(database_url, count, workdir)
        finally:
            if scratch:
                scratch.drop()
            shutil.rmtree(workdir, ignore_errors=True)
        results[result["database"]] = result
        _print(result)
    output = {"command": " ".join(["python", *sys.argv]), "machine": serving.machine(),
              "python": platform.python_version(), "runs": results,
              "total_seconds": round(time.perf_counter() - started, 1)}
    path = serving.write_result("registration" + ("-quick" if args.quick else ""), output)
    print(f"\nwrote {path}")


class _ScratchDatabase:
    """A database of its own on the PostgreSQL server of `url`, dropped at the end."""

    def __init__(self, url: str):
        self.admin = serving._pg_admin_url(url)
        self.name = f"registration_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self._run(f"CREATE DATABASE \"{self.name}\" ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' "
                  "TEMPLATE template0")
        self.url = self.admin.rsplit("/", 1)[0] + "/" + self.name

    def _run(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.admin, autocommit=True) as connection:
            connection.execute(statement)

    def drop(self) -> None:
        self._run(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
