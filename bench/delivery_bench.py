"""Delivery benchmark: consent-gated record reads per second under gunicorn, against a hello-world Flask app.

    .venv/bin/python bench/delivery_bench.py [--seconds 10] [--connections 4] [--threads 1] [--quick] [--profile]

Prints a table and writes bench/results/delivery.json (delivery-quick.json with --quick).

1. data: the demo exchange, as bench/http_bench.py loads it (bench/serving.py: temp SQLite, or also a scratch
   PostgreSQL database when DATABASE_URL is set; MARKETPLACE_ENV=production settings). Then, in set-up, the demo
   citizen (吴雅婷) grants the consent 江门农商银行 asked for under its flash-loan (闪电贷) contract for the flexible
   workers' payment records, through the consent service, and `flask clients create --user buyer@jmrcb.demo
   --scopes delivery` makes the bank's OAuth client.
2. servers: `gunicorn -w 2 app:app` with the project's gunicorn.conf.py and bench/hello_app.py with the same
   settings. The per-contract delivery rate limit is raised for the bench with
   MARKETPLACE_DELIVERY_RATE_PER_MINUTE (default 60 a minute, which would answer 429 within a second).
3. load: the bank gets a bearer token at POST /oauth/token (client credentials), then wrk sends
   GET /api/v1/contracts/<id>/records?subject=<resident ID>&purpose=credit_support with it: every call runs the
   whole entitlement check (contract, term, purpose, delivery mode, rate limit), looks up the live consent once,
   reads the person's row of the latest release, and commits a subject-access line and a usage line. Hello-world
   runs before and after; the baseline is their mean.
   Between them, bench/durable_app.py under the same gunicorn settings: Flask plus nothing but a durable commit of
   two rows per request, on the same database (the scratch SQLite file's folder, or the scratch PostgreSQL
   database) with the exchange's durability settings. No delivery call can answer faster than that commit lets
   it, so its ratio to hello-world is the ceiling of the records call's ratio on this machine.
4. report: requests/s, p50/p99 latency, failed requests, ratio to hello-world (target ≥ 0.4) and to the durable
   commit's ceiling, worker RSS, and the metered usage lines written during the run (one per delivered record).
"""

from __future__ import annotations

import base64
import json
import sys
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import serving  # noqa: E402

TARGET = 0.4
RATE_PER_MINUTE = 100_000_000

# After `demo load`: the citizen grants the pending consent (as on /my/data), and the bank gets an OAuth client.
GRANT_AND_CLIENT = """
from sqlalchemy import select
from marketplace.consent import services as consents
from marketplace.consent.models import Consent
from marketplace.demo_columns import CITIZEN_ID
from marketplace.extensions import db
consent = db.session.scalars(select(Consent).join(Consent.subject).where(
    Consent.state == 'requested', Consent.subject.has(email='subject@citizen.demo'))).one()
granted = consents.grant(consent.id, notice_hash=consent.notice_hash, actor=consent.subject)
result['consent'] = granted.number
result['contract_id'] = granted.contract_id
result['purpose'] = granted.contract.request.scenario
result['subject'] = CITIZEN_ID
result['client'] = cli('clients', 'create', '--user', 'buyer@jmrcb.demo', '--scopes', 'delivery')
"""

COUNT_USAGE = """
from sqlalchemy import func, select
from marketplace.delivery.models import UsageRecord
from marketplace.extensions import db
result['usage_lines'] = db.session.scalar(select(func.count()).select_from(UsageRecord).where(
    UsageRecord.kind == 'records'))
"""

PROFILE = """
import cProfile, io, pstats
client = app.test_client()
headers = json.loads(sys.argv[2])
for _ in range(20):
    response = client.get(sys.argv[1], headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
profile = cProfile.Profile()
profile.enable()
for _ in range(300):
    client.get(sys.argv[1], headers=headers)
profile.disable()
out = io.StringIO()
stats = pstats.Stats(profile, stream=out)
stats.sort_stats('cumulative').print_stats(35)
result[sys.argv[1]] = {'seconds_per_request': round(stats.total_tt / 300, 5), 'top': out.getvalue()}
"""


def bearer(url: str, client: dict) -> dict:
    """A token from a real client-credentials exchange against the running server."""
    basic = base64.b64encode(f"{client['client_id']}:{client['client_secret']}".encode()).decode()
    request = urllib.request.Request(url + "/oauth/token", data=b"grant_type=client_credentials", method="POST",
                                     headers={"Authorization": f"Basic {basic}",
                                              "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=30) as response:  # nosec B310 # a local http:// URL
        return {"Authorization": f"Bearer {json.loads(response.read())['access_token']}"}


def run_database(database_url: str | None, args, workdir: Path) -> dict:
    exchange = serving.Exchange(workdir, database_url,
                                extra_env={"MARKETPLACE_DELIVERY_RATE_PER_MINUTE": str(RATE_PER_MINUTE)})
    try:
        print(f"[{exchange.dialect}] loading the demo exchange, granting the citizen's consent …", flush=True)
        setup = exchange.load_demo(GRANT_AND_CLIENT)
        path = (f"/api/v1/contracts/{setup['contract_id']}/records?"
                + urlencode({"subject": setup["subject"], "purpose": setup["purpose"]}))
        print(f"[{exchange.dialect}] ready in {setup['seconds']} s: consent {setup['consent']}, contract "
              f"{setup['contract_id']}; MARKETPLACE_DELIVERY_RATE_PER_MINUTE={RATE_PER_MINUTE:,} for the bench "
              f"(default 60)", flush=True)
        app = serving.Gunicorn("app:app", env=exchange.env, workdir=workdir, probe="/api/v1/notices",
                               config=serving.ROOT / "gunicorn.conf.py", name=f"app-{exchange.dialect}")
        hello = serving.Gunicorn("hello_app:app", env=exchange.env, workdir=workdir, probe="/", config=None,
                                 chdir=serving.ROOT / "bench", name=f"hello-{exchange.dialect}")
        durable_env = {**exchange.env, "DURABLE_DATABASE_URL": exchange.env["DATABASE_URL"] if database_url
                       else f"sqlite:///{workdir / 'durable.db'}"}
        serving.prepare_durable_baseline(durable_env)
        durable = serving.Gunicorn("durable_app:app", env=durable_env, workdir=workdir, probe="/", config=None,
                                   chdir=serving.ROOT / "bench", name=f"durable-{exchange.dialect}")
        with app, hello, durable:
            headers = bearer(app.url, setup["client"])
            status, body = serving.fetch(app.url + path, headers)
            record = json.loads(body) if status == 200 else None
            if record is None or not record.get("record"):
                raise RuntimeError(f"GET {path} answered {status}: {body[:500]!r}")
            usage_before = exchange.in_app(COUNT_USAGE)["usage_lines"]
            load = dict(seconds=args.seconds, connections=args.connections, threads=args.threads, workdir=workdir)
            figures: dict[str, dict] = {}
            load_before = serving.load_average()
            for key, server, target, auth in [("hello_before", hello, "/", None), ("durable", durable, "/", None),
                                              ("records", app, path, headers), ("hello_after", hello, "/", None)]:
                if args.warmup:
                    serving.wrk(server.url + target, **dict(load, seconds=args.warmup), headers=auth)
                figures[key] = {"path": target, **serving.wrk(server.url + target, **load, headers=auth)}
                print(f"  {key:<14} {figures[key]['rps']:>8,.0f} req/s  p50 {figures[key]['p50_ms']:.1f} ms  "
                      f"p99 {figures[key]['p99_ms']:.1f} ms  failed {figures[key]['failed']}", flush=True)
            memory = {"app": app.memory(), "hello": hello.memory()}
        usage = exchange.in_app(COUNT_USAGE)["usage_lines"] - usage_before
        baseline = (figures["hello_before"]["rps"] + figures["hello_after"]["rps"]) / 2
        ratio = round(figures["records"]["rps"] / baseline, 3)
        figures["records"]["ratio"] = ratio
        figures["durable"]["ratio"] = round(figures["durable"]["rps"] / baseline, 3)
        figures["records"]["of_durable_ceiling"] = round(figures["records"]["rps"] / figures["durable"]["rps"], 3)
        return {
            "database": exchange.dialect, "setup_seconds": setup["seconds"], "contract_id": setup["contract_id"],
            "fields_delivered": sorted(record["record"]), "rate_per_minute_for_bench": RATE_PER_MINUTE,
            "hello_rps": round(baseline, 1),
            "hello_spread": round(abs(figures["hello_before"]["rps"] - figures["hello_after"]["rps"]) / baseline, 3),
            "endpoints": figures, "memory": memory,
            # Warm-up and timed calls alike write a usage line; wrk may stop while a last response is in flight.
            "usage_lines_written": usage,
            "load_average": {"before": load_before, "after": serving.load_average()},
            "target": {"endpoint": "records", "ratio_at_least": TARGET, "ratio": ratio, "pass": ratio >= TARGET},
            "profile": exchange.in_app(PROFILE, path, json.dumps(headers)) if args.profile else None,
        }
    finally:
        exchange.close()


def _print(run: dict) -> None:
    f = run["endpoints"]["records"]
    print(f"\n{run['database']}: GET …/records (entitlement, consent, record, access and usage lines committed)")
    print(f"  hello-world {run['hello_rps']:,.0f} req/s (before/after differ by {run['hello_spread']:.0%}); "
          f"load average {run['load_average']['before']} → {run['load_average']['after']}")
    print(f"  records: {f['rps']:,.0f} req/s, p50 {f['p50_ms']:.1f} ms, p99 {f['p99_ms']:.1f} ms, "
          f"{f['failed']} failed, {run['usage_lines_written']:,} usage lines written (warm-up included)")
    durable = run["endpoints"].get("durable")
    if durable:
        print(f"  durable two-row commit alone (bench/durable_app.py): {durable['rps']:,.0f} req/s, "
              f"{durable['ratio']:.3f} × hello-world: the ceiling of any call that commits; records reach "
              f"{f['of_durable_ceiling']:.3f} of it")
    target = run["target"]
    print(f"  records / hello-world: {target['ratio']:.3f} (target ≥ {TARGET}) {'PASS' if target['pass'] else 'FAIL'}")
    print(f"  (MARKETPLACE_DELIVERY_RATE_PER_MINUTE raised to {run['rate_per_minute_for_bench']:,} for the bench)")
    serving.print_memory_and_profile(run)


def main() -> None:
    args = serving.wrk_arguments(__doc__, "cProfile the records call in-process")
    serving.run_each_database("delivery", args, run_database, _print,
                              MARKETPLACE_DELIVERY_RATE_PER_MINUTE=RATE_PER_MINUTE)


if __name__ == "__main__":
    main()
