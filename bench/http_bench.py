"""HTTP benchmark of the public catalog: requests per second under gunicorn against a hello-world Flask app.

    .venv/bin/python bench/http_bench.py [--seconds 10] [--connections 4] [--threads 1] [--quick] [--profile]

Prints a table and writes bench/results/http.json (http-quick.json with --quick).

1. data: a fresh exchange in a temp dir (bench/serving.py): SQLite, migrated and loaded with the real
   `db upgrade` and `demo load` commands, under MARKETPLACE_ENV=production settings. When DATABASE_URL is set
   the whole run is repeated on a scratch PostgreSQL database created on that server and dropped afterwards.
2. servers: the exchange (`gunicorn -w 2 app:app`, the project's gunicorn.conf.py, so post_worker_init warms the
   search dictionary) and bench/hello_app.py under the same gunicorn settings, both up for the whole run; no access
   log (gunicorn's default).
3. load: wrk (`--threads`, `--connections`, `--seconds` per endpoint, after a short warm-up run) on, in order:
   hello-world, the listing API (GET /api/v1/listings?q=陈皮, a typical buyer query with facets), the listing detail
   API (GET /api/v1/listings/<id>), the public listing page (GET /listings/<id>, HTML), the catalog page
   (GET /?q=陈皮, HTML), the same four again on a second exchange server keeping no server-side copies
   (CACHE_TYPE=NullCache: each request computes its answer, as the first one after a catalog change does; the
   first server answers a repeat from its copy, marketplace/httpcache.py), and hello-world again.
   The baseline is the mean of the two hello-world runs, so a change
   of load on the shared machine during the run shows in their spread (printed).
4. report: per endpoint requests/s, p50/p99 latency from wrk, failed requests (non-2xx, socket errors), ratio to
   hello-world, and each worker's RSS (and PSS) after the load, from psutil. Target: listing API ≥ 0.5 × hello.
--profile also runs the listing API and page 300 times each in-process under cProfile and prints where the time
goes (the same code path without gunicorn and the network).
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

import serving  # noqa: E402

TARGET = 0.5
QUERY = "/api/v1/listings?q=" + quote("陈皮")

# After `demo load`: one listed product to read (the first search hit of the typical query).
FIND_LISTING = """
from sqlalchemy import select
from marketplace.catalog.models import Listing
from marketplace.extensions import db
listing = db.session.scalars(select(Listing).where(Listing.state == 'listed').order_by(Listing.id)).first()
result['product_id'] = listing.product_id
result['listings'] = len(db.session.scalars(select(Listing.id).where(Listing.state == 'listed')).all())
"""

PROFILE = """
import cProfile, io, pstats
client = app.test_client()
for path in sys.argv[1:]:
    for _ in range(20):
        assert client.get(path).status_code == 200, path
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(300):
        client.get(path)
    profile.disable()
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats('cumulative').print_stats(35)
    result[path] = {'seconds_per_request': round(stats.total_tt / 300, 5), 'top': out.getvalue()}
"""


def endpoints(product_id: int) -> list[tuple[str, str, str]]:
    """(key, label, path) of the exchange's endpoints, in the order they are loaded."""
    return [
        ("listing_api", "listing API (search)", QUERY),
        ("listing_detail_api", "listing detail API", f"/api/v1/listings/{product_id}"),
        ("listing_page", "listing page (HTML)", f"/listings/{product_id}"),
        ("catalog_page", "catalog page (HTML)", "/?q=" + quote("陈皮")),
    ]


def run_database(database_url: str | None, args, workdir: Path) -> dict:
    exchange = serving.Exchange(workdir, database_url)
    try:
        print(f"[{exchange.dialect}] loading the demo exchange (db upgrade + demo load) …", flush=True)
        setup = exchange.load_demo(FIND_LISTING)
        print(f"[{exchange.dialect}] loaded in {setup['seconds']} s: {setup['listings']} listed products", flush=True)
        paths = endpoints(setup["product_id"])
        app = serving.Gunicorn("app:app", env=exchange.env, workdir=workdir, probe=QUERY,
                               config=serving.ROOT / "gunicorn.conf.py", name=f"app-{exchange.dialect}")
        # The same app keeping no server-side copies (httpcache.py): every request computes its answer, as the first
        # request for a URL after the catalog changed does.
        computing = serving.Gunicorn("app:app", env={**exchange.env, "CACHE_TYPE": "NullCache"}, workdir=workdir,
                                     probe=QUERY, config=serving.ROOT / "gunicorn.conf.py",
                                     name=f"app-nocopy-{exchange.dialect}")
        hello = serving.Gunicorn("hello_app:app", env=exchange.env, workdir=workdir, probe="/", config=None,
                                 chdir=serving.ROOT / "bench", name=f"hello-{exchange.dialect}")
        with app, computing, hello:
            for _key, _label, path in paths:
                status, body = serving.fetch(app.url + path)
                if status != 200:
                    raise RuntimeError(f"GET {path} answered {status}: {body[:500]!r}")
            load = dict(seconds=args.seconds, connections=args.connections, threads=args.threads, workdir=workdir)
            warm = dict(load, seconds=args.warmup)
            figures: dict[str, dict] = {}
            load_before = serving.load_average()
            for key, server, path in [("hello_before", hello, "/"),
                                      *((key, app, path) for key, _label, path in paths),
                                      *((f"{key}_computed", computing, path) for key, _label, path in paths),
                                      ("hello_after", hello, "/")]:
                if args.warmup:
                    serving.wrk(server.url + path, **warm)
                figures[key] = {"path": path, **serving.wrk(server.url + path, **load)}
                print(f"  {key:<20} {figures[key]['rps']:>8,.0f} req/s  p50 {figures[key]['p50_ms']:.1f} ms  "
                      f"p99 {figures[key]['p99_ms']:.1f} ms  failed {figures[key]['failed']}", flush=True)
            memory = {"app": app.memory(), "hello": hello.memory()}
        baseline = (figures["hello_before"]["rps"] + figures["hello_after"]["rps"]) / 2
        for key, _label, _path in paths:
            figures[key]["ratio"] = round(figures[key]["rps"] / baseline, 3)
            figures[f"{key}_computed"]["ratio"] = round(figures[f"{key}_computed"]["rps"] / baseline, 3)
        spread = abs(figures["hello_before"]["rps"] - figures["hello_after"]["rps"]) / baseline
        ratio = figures["listing_api"]["ratio"]
        return {
            "database": exchange.dialect, "setup_seconds": setup["seconds"], "listings": setup["listings"],
            "hello_rps": round(baseline, 1), "hello_spread": round(spread, 3), "endpoints": figures,
            "labels": {**{key: label for key, label, _path in paths},
                       **{f"{key}_computed": f"{label}, computed" for key, label, _path in paths}}, "memory": memory,
            "load_average": {"before": load_before, "after": serving.load_average()},
            "target": {"endpoint": "listing_api", "ratio_at_least": TARGET, "ratio": ratio, "pass": ratio >= TARGET},
            "profile": exchange.in_app(PROFILE, QUERY, paths[2][2]) if args.profile else None,
        }
    finally:
        exchange.close()


def _print(run: dict) -> None:
    print(f"\n{run['database']}: {run['listings']} listed products; hello-world {run['hello_rps']:,.0f} req/s "
          f"(before/after differ by {run['hello_spread']:.0%}); load average {run['load_average']['before']} → "
          f"{run['load_average']['after']}")
    print(f"  {'endpoint':<34}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'failed':>8}{'× hello':>9}")
    for key, label in run["labels"].items():
        f = run["endpoints"][key]
        print(f"  {label:<34}{f['rps']:>9,.0f}{f['p50_ms']:>9.1f}{f['p99_ms']:>9.1f}{f['failed']:>8}"
              f"{f['ratio']:>9.3f}")
    target = run["target"]
    print(f"  listing API / hello-world: {target['ratio']:.3f} (target ≥ {TARGET}) "
          f"{'PASS' if target['pass'] else 'FAIL'}")
    serving.print_memory_and_profile(run)


def main() -> None:
    args = serving.wrk_arguments(__doc__, "cProfile the listing API and page in-process")
    serving.run_each_database("http", args, run_database, _print)


if __name__ == "__main__":
    main()
