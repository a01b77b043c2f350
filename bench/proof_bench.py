"""Certificate log benchmark: issue certificates through the real append path, then time inclusion proofs.

    .venv/bin/python bench/proof_bench.py [--certificates 100000] [--sizes 1000,100000,1000000]
        [--proofs 300] [--via-issue] [--quick] [--database-url URL] [--keep]

Prints a table and writes bench/results/proofs.json (proofs-quick.json with --quick).

1. issue: a real app (`create_app`, a temp SQLite file with the app's pragmas, or `--database-url` for
   an empty PostgreSQL database) gets one organisation, one broker, one product with one version per
   certificate and the certificate rows, inserted directly (the review workflow is not what is
   measured). Each certificate is then logged by the real `transparency.append(certificate, "issued")`:
   one leaf, the subtrees it completes, a signed checkpoint; `--batch` (1,000) per transaction. With
   `--via-issue` the whole `certificates.issue()` runs instead (serial, Ed25519 signature, append,
   audit row) and the certificate rows are not pre-inserted.
2. prove, as the log grows: when the log holds exactly S leaves, for each S of `--sizes`, `--proofs`
   random leaves are proven as the API builds a proof,
   `merkle.inclusion_proof(i, S, transparency._fetch(merkle.inclusion_proof_nodes(i, S)))`,
   timed one by one; SQL statements are counted with a `before_cursor_execute` listener, rows = nodes
   fetched, and the query plan of that SELECT is recorded (EXPLAIN). Every proof is checked with
   `merkle.verify_inclusion` against the signed checkpoint of size S (or, past the issued leaves, the
   root of the stored nodes, itself checked against `merkle.root_of`). Baseline, same run: the first node of
   each proof read alone through the same fetch (one primary-key row); `proof_to_one_node_fetch` is the ratio.
3. sizes beyond the issued certificates: the log is extended with synthetic leaves (leaf_hash of
   b"proof-bench synthetic leaf <i>"). First every node append() stored is compared with
   `compliance.merkle.build_nodes` over the issued leaf hashes (same coordinates, same hashes); then the
   nodes build_nodes computes over real + synthetic leaf hashes whose subtree reaches past the leaves
   already stored are bulk-inserted into the same `log_nodes` table (same primary key, the exact rows
   append() would write, without a million checkpoints); `root_from_nodes` over the table must equal
   `merkle.root_of` over the leaf hashes. Synthetic leaves get no `log_leaves` rows (a proof never reads
   them).
4. receipts: right after issuing, whole receipts (`certificates.get_receipt`, the body of
   GET /api/v1/certificates/{number}) are timed under the latest checkpoint and verified offline.

The first run of this bench found `_fetch` asking `(level, index) IN (VALUES ...)`, which SQLite plans as a
scan of the whole node table (t(10^6)/t(10^3) = 459); the app now asks for an OR of primary-key pairs, and
the JSON output records the query plan so a regression shows.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, func, insert, inspect, select, text  # noqa: E402

from compliance import merkle, receipt  # noqa: E402
from marketplace import keys  # noqa: E402
from marketplace.accounts.models import Organization, User  # noqa: E402
from marketplace.app_factory import create_app  # noqa: E402
from marketplace.database import unit_of_work  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from marketplace.products.models import Product, ProductVersion  # noqa: E402
from marketplace.registration import certificates, transparency  # noqa: E402
from marketplace.registration.models import Certificate  # noqa: E402
from marketplace.registration.transparency import LogCheckpoint, LogHead, LogLeaf, LogNode  # noqa: E402
from marketplace.types import utcnow  # noqa: E402

SEED = 20240607
FULL = {"certificates": 100_000, "sizes": [1_000, 100_000, 1_000_000], "proofs": 300, "receipts": 200}
QUICK = {"certificates": 5_000, "sizes": [1_000, 10_000, 100_000], "proofs": 200, "receipts": 100}
APP_FETCH = transparency._fetch


class StatementCounter:
    """Counts the SQL statements the engine sends (an executemany batch counts once)."""

    def __init__(self, engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args) -> None:
        self.count += 1


def query_plan(statement) -> list[str]:
    engine = db.engine
    sql = str(statement.compile(engine, compile_kwargs={"literal_binds": True}))
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    return [str(row[-1]) for row in db.session.execute(text(prefix + sql))]


def plan_summary(plan: list[str]) -> str:
    """The distinct steps of a query plan (SQLite repeats one SEARCH per OR term)."""
    steps = [step for step in plan if not step.startswith("INDEX ")]
    distinct = list(dict.fromkeys(steps))
    return " / ".join(f"{step} ×{steps.count(step)}" if steps.count(step) > 1 else step for step in distinct)


def _config(workdir: Path, database_url: str | None) -> dict:
    uri = database_url or f"sqlite:///{workdir / 'bench.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if uri.startswith(prefix):
            uri = "postgresql+psycopg://" + uri.removeprefix(prefix)
    return {
        "SECRET_KEY": "proof-bench",
        "SQLALCHEMY_DATABASE_URI": uri,
        "MARKETPLACE_FILES_DIR": str(workdir / "files"),
        "MARKETPLACE_SIGNING_KEY_FILE": str(workdir / "signing-key.pem"),  # never instance/'s key
        "REDIS_URL": None,
    }


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def seed(count: int, with_certificates: bool) -> list[int]:
    """One provider, one broker, `count` products of one version each (and their certificate rows)."""
    org = Organization(name="基准数据科技有限公司", name_en="Bench Data Co.", uscc="91440700MA0000001X",
                       kind="provider", state="approved")
    db.session.add(org)
    db.session.flush()
    broker = User(email="broker@bench.test", name="broker", password_hash="x", role="broker", org_id=org.id)
    db.session.add(broker)
    db.session.flush()
    now = utcnow()
    valid_to = now.replace(year=now.year + 3)
    ids: list[int] = []
    for start in range(0, count, 10_000):
        n = min(10_000, count - start)
        first = start + 1
        db.session.execute(insert(Product.__table__), [
            {"id": first + k, "org_id": org.id, "created_by_id": broker.id, "created_at": now} for k in range(n)])
        db.session.execute(insert(ProductVersion.__table__), [{
            "id": first + k, "product_id": first + k, "number": 1, "state": "registered",
            "lock_version": 1, "name": f"基准数据产品 {first + k:06d}", "name_en": f"Bench product {first + k}",
            "product_type": "dataset", "sector": "logistics", "description": "Proof benchmark product.",
            "rights": ["holding", "processing", "operation"], "delivery_modes": ["api"],
            "created_by_id": broker.id, "created_at": now, "updated_at": now,
        } for k in range(n)])
        if with_certificates:
            db.session.execute(insert(Certificate.__table__), [{
                "id": first + k, "number": f"JMDE-{now.year}-P-{first + k:06d}", "year": now.year, "kind": "P",
                "serial": first + k, "registration_type": "first", "product_id": first + k,
                "version_id": first + k, "holder_name": org.name, "holder_uscc": org.uscc,
                "product_name": f"基准数据产品 {first + k:06d}", "version_number": 1,
                "metadata_digest": f"{first + k:064x}", "rights": ["holding", "processing", "operation"],
                "issuing_body": "江门数据交易所", "issued_at": now, "valid_from": now, "valid_to": valid_to,
                "status": "valid",
            } for k in range(n)])
        ids.extend(range(first, first + n))
    db.session.commit()
    return ids


def _leaf_hashes(size: int) -> list[bytes]:
    return [bytes.fromhex(h) for h in db.session.scalars(
        select(LogLeaf.leaf_hash).where(LogLeaf.index < size).order_by(LogLeaf.index))]


def measure_proofs(size: int, per_size: int, leaf_hashes: list[bytes], root: bytes,
                   counter: StatementCounter, rng: random.Random) -> dict:
    """Time `per_size` random inclusion proofs in the log as it stands (exactly `size` leaves)."""
    indexes = rng.sample(range(size), min(per_size, size))
    fetch = transparency._fetch
    for index in indexes[:20]:  # warm the statement cache and the pages
        merkle.inclusion_proof(index, size, fetch(merkle.inclusion_proof_nodes(index, size)))
    timings, statements, rows, lengths, failures = [], [], [], [], 0
    clock = time.perf_counter
    for index in indexes:
        before = counter.count
        started = clock()
        nodes = fetch(merkle.inclusion_proof_nodes(index, size))
        proof = merkle.inclusion_proof(index, size, nodes)
        elapsed = clock() - started
        statements.append(counter.count - before)
        timings.append(elapsed * 1e6)
        rows.append(len(nodes))
        lengths.append(len(proof))
        if not merkle.verify_inclusion(leaf_hashes[index], index, size, proof, root):
            failures += 1
    # Baseline, same run, same fetch function: reading one node of each proof (one primary-key row) instead of the
    # whole path, so the ratio is what a proof costs beyond the single round trip any proof needs.
    single = []
    for index in indexes:
        first = merkle.inclusion_proof_nodes(index, size)[:1]
        started = clock()
        fetch(first)
        single.append((clock() - started) * 1e6)
    coordinates = merkle.inclusion_proof_nodes(indexes[0], size)
    plan = query_plan(transparency.nodes_query(coordinates))
    db.session.rollback()
    assert failures == 0, f"{failures} proofs did not verify"
    result = {
        "leaves": size, "log_nodes_rows": db.session.scalar(select(func.count()).select_from(LogNode)),
        "proofs": len(timings), "verified": len(timings) - failures,
        "median_us": round(statistics.median(timings), 1), "p95_us": round(_percentile(timings, 0.95), 1),
        "min_us": round(min(timings), 1),
        "one_node_fetch_median_us": round(statistics.median(single), 1),
        "proof_to_one_node_fetch": round(statistics.median(timings) / statistics.median(single), 2),
        "statements_per_proof": {"min": min(statements), "max": max(statements)},
        "rows_per_proof": {"median": statistics.median(rows), "max": max(rows)},
        "proof_length": {"median": statistics.median(lengths), "max": max(lengths)},
        "query_plan": plan,
    }
    db.session.rollback()
    print(f"  {size:>10,} leaves ({result['log_nodes_rows']:,} node rows): median {result['median_us']:,.0f} µs, "
          f"p95 {result['p95_us']:,.0f} µs, {statements[0]} statement(s), {result['rows_per_proof']['median']:g} "
          f"rows; plan: {plan_summary(plan)}", flush=True)
    return result


def _signed_root(size: int, leaf_hashes: list[bytes]) -> bytes:
    signed = db.session.get(LogCheckpoint, size)
    assert signed is not None, f"no checkpoint of size {size}"
    root = bytes.fromhex(signed.root)
    assert root == merkle.root_of(leaf_hashes[:size]), f"signed checkpoint {size} differs from root_of"
    return root


def issue_and_prove(ids: list[int], args, plan: dict, counter: StatementCounter, rng: random.Random) -> tuple:
    """Log every certificate, pausing the clock to measure proofs whenever the log reaches a size of `sizes`."""
    stops = sorted(s for s in plan["sizes"] if s <= len(ids))
    proofs: dict[str, dict] = {}
    statements, seconds, last_report, done = 0, 0.0, 0.0, 0
    rates = []
    while done < len(ids):
        end = min([done + args.batch] + [s for s in stops if s > done])
        batch = ids[done:end]
        before, started = counter.count, time.perf_counter()
        with unit_of_work():
            if args.via_issue:
                versions = db.session.scalars(select(ProductVersion).where(ProductVersion.id.in_(batch))
                                              .order_by(ProductVersion.id)).all()
                for version in versions:
                    certificates.issue(version, utcnow())
            else:
                for certificate in db.session.scalars(select(Certificate).where(Certificate.id.in_(batch))
                                                      .order_by(Certificate.id)).all():
                    certificates._sign(certificate)  # as issue() does: the receipt carries the signature
                    transparency.append(certificate, "issued")
        db.session.expunge_all()
        elapsed = time.perf_counter() - started
        seconds += elapsed
        statements += counter.count - before
        rates.append((end, round(len(batch) / elapsed, 1)))
        done = end
        if seconds - last_report > 15 or done == len(ids) or done in stops:
            last_report = seconds
            print(f"  logged {done:,} certificates in {seconds:.0f} s ({done / seconds:,.0f}/s overall, "
                  f"{rates[-1][1]:,.0f}/s in the last batch)", flush=True)
        if done in stops:
            leaf_hashes = _leaf_hashes(done)
            proofs[str(done)] = measure_proofs(done, plan["proofs"], leaf_hashes, _signed_root(done, leaf_hashes),
                                               counter, rng)
    count = len(ids)
    issued = {"certificates": count, "path": "certificates.issue()" if args.via_issue else "transparency.append()",
              "batch": args.batch, "seconds": round(seconds, 2), "certificates_per_s": round(count / seconds, 1),
              "ms_per_certificate": round(1000 * seconds / count, 3),
              "statements_per_certificate": round(statements / count, 2),
              "log_size": db.session.get(LogHead, 1).size,
              "checkpoints": db.session.scalar(select(func.count()).select_from(LogCheckpoint)),
              "rate_by_log_size": rates[:: max(1, len(rates) // 20)] + rates[-1:]}
    return issued, proofs


def check_layout(issued: int) -> dict:
    """Every node append() stored = build_nodes over the issued leaf hashes, coordinates and hashes."""
    stored = {(level, index): value for level, index, value in
              db.session.execute(select(LogNode.level, LogNode.index, LogNode.hash))}
    expected = {node: value.hex() for node, value in merkle.build_nodes(_leaf_hashes(issued)).items()}
    assert stored == expected, "the nodes append() stored differ from build_nodes over the same leaves"
    db.session.rollback()
    print(f"  layout: the {len(stored):,} nodes append() stored = build_nodes over the {issued:,} issued leaves",
          flush=True)
    return {"issued_leaves": issued, "nodes_from_append": len(stored), "append_layout_identical": True}


def _synthetic_leaf(index: int) -> bytes:
    return merkle.leaf_hash(b"proof-bench synthetic leaf %d" % index)


def extend(leaf_hashes: list[bytes], stored: int, target: int, rng: random.Random) -> dict:
    """Grow the stored tree from `stored` to `target` leaves with build_nodes' rows, bulk-inserted; check roots."""
    started = time.perf_counter()
    leaf_hashes += [_synthetic_leaf(i) for i in range(len(leaf_hashes), target)]
    nodes = merkle.build_nodes(leaf_hashes)
    new = [{"level": level, "index": index, "hash": value.hex()}
           for (level, index), value in nodes.items() if (index + 1) << level > stored]
    del nodes
    build_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for start in range(0, len(new), 50_000):
        db.session.execute(insert(LogNode.__table__), new[start:start + 50_000])
    db.session.commit()
    insert_seconds = time.perf_counter() - started
    checked = sorted({target, rng.randint(stored + 1, target)})
    for size in checked:
        from_table = merkle.root_from_nodes(size, APP_FETCH(merkle.root_nodes(size)))
        assert from_table == merkle.root_of(leaf_hashes[:size]), f"root of size {size} differs from root_of"
    db.session.rollback()
    print(f"  extended {stored:,} → {target:,} leaves: +{len(new):,} node rows ({build_seconds:.1f} s build_nodes, "
          f"{insert_seconds:.1f} s insert); root_from_nodes = root_of for sizes {checked}", flush=True)
    return {"from": stored, "to": target, "rows_inserted": len(new), "build_nodes_seconds": round(build_seconds, 2),
            "insert_seconds": round(insert_seconds, 2), "roots_checked": checked}


def measure_receipts(count: int, counter: StatementCounter, rng: random.Random) -> dict:
    numbers = db.session.scalars(select(Certificate.number)).all()
    public = keys.public_keys()
    chosen = rng.sample(numbers, min(count, len(numbers)))
    for number in chosen[:10]:
        certificates.get_receipt(number)
    timings, statements, failures, found = [], [], 0, None
    for number in chosen:
        db.session.rollback()  # a request's own transaction and an empty identity map
        db.session.expunge_all()
        before = counter.count
        started = time.perf_counter()
        found = certificates.get_receipt(number)
        timings.append((time.perf_counter() - started) * 1e6)
        statements.append(counter.count - before)
        if not all(ok for _name, ok, _detail in receipt.verify_receipt(found, public)):
            failures += 1
    db.session.rollback()
    assert failures == 0, f"{failures} receipts did not verify"
    result = {"tree_size": found["log"]["tree_size"], "receipts": len(timings), "verified": len(timings),
              "median_us": round(statistics.median(timings), 1), "p95_us": round(_percentile(timings, 0.95), 1),
              "statements": {"min": min(statements), "max": max(statements)}}
    print(f"  receipts under the checkpoint of size {result['tree_size']:,}: median {result['median_us']:,.0f} µs, "
          f"p95 {result['p95_us']:,.0f} µs, {min(statements)}-{max(statements)} statements, all verified offline",
          flush=True)
    return result


def _print(result: dict) -> None:
    issued = result["issue"]
    print(f"\nissue ({issued['path']}): {issued['certificates']:,} certificates in "
          f"{issued['seconds']:.1f} s = {issued['certificates_per_s']:,.0f}/s ({issued['ms_per_certificate']} ms "
          f"each, {issued['statements_per_certificate']} SQL statements each)")
    print(f"\nprove ({result['database']['dialect']}):")
    print(f"  {'leaves':>10}{'node rows':>11}{'proofs':>8}{'median µs':>11}{'p95 µs':>10}{'stmts':>7}{'rows':>6}"
          f"{'path':>6}  plan")
    for item in result["proofs"].values():
        stmts = item["statements_per_proof"]
        print(f"  {item['leaves']:>10,}{item['log_nodes_rows']:>11,}{item['proofs']:>8}{item['median_us']:>11,.0f}"
              f"{item['p95_us']:>10,.0f}{stmts['min'] if stmts['min'] == stmts['max'] else str(stmts):>7}"
              f"{item['rows_per_proof']['median']:>6g}{item['proof_length']['median']:>6g}  "
              f"{plan_summary(item['query_plan'])[:70]}")
    ratio = result["ratio"]
    print(f"  t({ratio['large']:,}) / t({ratio['small']:,}) of the medians: {ratio['value']} (aim ≤ 3)")
    largest = result["proofs"][str(ratio["large"])]
    print(f"  baseline at {ratio['large']:,} leaves: one node read by the same fetch "
          f"{largest['one_node_fetch_median_us']:,.0f} µs; proof / one node: {largest['proof_to_one_node_fetch']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK['certificates']:,} certificates, sizes {QUICK['sizes']}")
    parser.add_argument("--certificates", type=int, help=f"certificates to issue (default {FULL['certificates']:,})")
    parser.add_argument("--sizes", help="comma-separated tree sizes to prove in (default 1000,100000,1000000)")
    parser.add_argument("--proofs", type=int, help="random leaves proven per size (default 300)")
    parser.add_argument("--batch", type=int, default=1_000, help="certificates per transaction (default 1000)")
    parser.add_argument("--via-issue", action="store_true", help="log through certificates.issue() (slower)")
    parser.add_argument("--database-url", help="an EMPTY PostgreSQL database instead of a temp SQLite file "
                                               "(the bench creates its tables and drops them at the end)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (SQLite database) and print it")
    args = parser.parse_args()
    plan = dict(QUICK if args.quick else FULL)
    if args.certificates:
        plan["certificates"] = args.certificates
    if args.sizes:
        plan["sizes"] = sorted(int(s.replace("_", "")) for s in args.sizes.split(","))
    if args.proofs:
        plan["proofs"] = args.proofs
    workdir = Path(tempfile.mkdtemp(prefix="proof-bench-"))
    rng = random.Random(SEED)
    app = create_app(_config(workdir, args.database_url))
    total_started = time.perf_counter()
    try:
        with app.app_context():
            engine = db.engine
            if inspect(engine).get_table_names():
                sys.exit(f"{engine.url.render_as_string()} already has tables: give the bench an empty database")
            db.create_all()
            counter = StatementCounter(engine)
            database = {"dialect": engine.dialect.name,
                        "server_version": ".".join(map(str, engine.dialect.server_version_info or ()))}
            print(f"database: {database['dialect']} {database['server_version']} "
                  f"({engine.url.render_as_string(hide_password=True)})", flush=True)
            started = time.perf_counter()
            ids = seed(plan["certificates"], with_certificates=not args.via_issue)
            print(f"seeded {len(ids):,} products in {time.perf_counter() - started:.1f} s", flush=True)
            print(f"issue {len(ids):,} certificates, proving at {plan['proofs']} random leaves whenever the log "
                  f"reaches {', '.join(f'{s:,}' for s in plan['sizes'])} leaves:", flush=True)
            issued, proofs = issue_and_prove(ids, args, plan, counter, rng)
            receipts = measure_receipts(plan["receipts"], counter, rng)
            layout = check_layout(len(ids))
            leaf_hashes = _leaf_hashes(len(ids))
            layout["extensions"] = []
            for size in sorted(s for s in plan["sizes"] if s > len(ids)):
                stored = len(leaf_hashes)
                layout["extensions"].append(extend(leaf_hashes, stored, size, rng))
                proofs[str(size)] = measure_proofs(size, plan["proofs"], leaf_hashes, merkle.root_of(leaf_hashes),
                                                   counter, rng)
            small, large = min(plan["sizes"]), max(plan["sizes"])
            if database["dialect"] == "sqlite":
                database["file_mb"] = round((workdir / "bench.db").stat().st_size / 1e6, 1)
            result = {
                "command": " ".join(["python", *sys.argv]),
                "plan": plan,
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                            "platform": platform.platform()},
                "database": database,
                "issue": issued,
                "layout": layout,
                "proofs": proofs,
                "ratio": {"small": small, "large": large,
                          "value": round(proofs[str(large)]["median_us"] / proofs[str(small)]["median_us"], 2),
                          "aim": 3},
                "receipts": receipts,
                "query_plan": query_plan(transparency.nodes_query([(0, 0), (1, 1)])),
                "total_seconds": round(time.perf_counter() - total_started, 1),
            }
            db.session.rollback()
            _print(result)
            print(f"\ntotal {result['total_seconds']:.0f} s", flush=True)
            out = ROOT / "bench" / "results"
            out.mkdir(parents=True, exist_ok=True)
            name = "proofs" + ("-quick" if args.quick else "")
            (out / f"{name}.json").write_text(json.dumps(result, ensure_ascii=False, indent=2))
            if args.database_url:
                db.session.remove()
                db.drop_all()
            db.session.remove()
            engine.dispose()
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
