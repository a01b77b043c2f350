"""The HTTP, delivery and registration benchmarks run end to end in their --quick mode and report what they measured.

Each bench runs as `make bench` runs it (a child process: temp database, gunicorn, wrk), writing its JSON into a
temp folder (BENCH_RESULTS_DIR). The tests check that every request succeeded and the figures are there — never
how fast anything was (speed is the benches' business). With DATABASE_URL set the benches run on a scratch
PostgreSQL database as well, and so the tests check both runs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from marketplace.demo_data import CONSENTS

ROOT = Path(__file__).resolve().parents[2]
DATABASES = ["sqlite", "postgresql"] if os.environ.get("DATABASE_URL") else ["sqlite"]
needs_wrk = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")


def _bench(script: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "BENCH_RESULTS_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, str(ROOT / "bench" / script), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{script} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def _result(tmp_path: Path, name: str) -> dict:
    return json.loads((tmp_path / f"{name}-quick.json").read_text())


def _served_without_failures(figures: dict) -> None:
    assert figures["requests"] > 0 and figures["rps"] > 0
    assert figures["failed"] == 0, figures["errors"]
    assert 0 < figures["p50_ms"] <= figures["p99_ms"]


@pytest.mark.parametrize("script", ["http_bench.py", "delivery_bench.py", "registration_bench.py", "summary.py"])
def test_each_bench_describes_itself(script):
    done = subprocess.run([sys.executable, str(ROOT / "bench" / script), "--help"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0
    assert "baseline" in done.stdout


@needs_wrk
def test_http_bench_serves_the_catalog_and_hello_world(tmp_path):
    output = _bench("http_bench.py", tmp_path, "--quick").stdout
    result = _result(tmp_path, "http")
    assert sorted(result["runs"]) == sorted(DATABASES)
    for run in result["runs"].values():
        assert run["listings"] > 0
        for key in ("hello_before", "listing_api", "listing_detail_api", "listing_page", "catalog_page", "hello_after"):
            _served_without_failures(run["endpoints"][key])
        assert run["endpoints"]["listing_api"]["ratio"] > 0 and run["hello_rps"] > 0
        assert run["target"]["ratio_at_least"] == 0.5 and isinstance(run["target"]["pass"], bool)
        for server in ("app", "hello"):
            workers = run["memory"][server]["workers"]
            assert len(workers) == 2 and all(w["rss_mb"] > 0 for w in workers)
    assert "listing API / hello-world" in output


@needs_wrk
def test_delivery_bench_reads_consented_records_and_meters_each(tmp_path):
    output = _bench("delivery_bench.py", tmp_path, "--quick").stdout
    result = _result(tmp_path, "delivery")
    assert sorted(result["runs"]) == sorted(DATABASES)
    consented = sorted(CONSENTS[0].categories)
    for run in result["runs"].values():
        records = run["endpoints"]["records"]
        _served_without_failures(records)
        # Only what the citizen consented to came back, and every delivered record wrote its usage line.
        assert run["fields_delivered"] == consented
        assert run["usage_lines_written"] >= records["requests"]
        assert run["target"]["ratio_at_least"] == 0.4 and records["ratio"] > 0
        # The second baseline committed its two rows per request, on the same database.
        _served_without_failures(run["endpoints"]["durable"])
        assert 0 < run["endpoints"]["durable"]["ratio"] and 0 < records["of_durable_ceiling"]
    assert "MARKETPLACE_DELIVERY_RATE_PER_MINUTE raised" in output
    assert "durable two-row commit alone" in output


def test_registration_bench_certifies_every_product(tmp_path):
    _bench("registration_bench.py", tmp_path, "--quick")
    result = _result(tmp_path, "registration")
    assert sorted(result["runs"]) == sorted(DATABASES)
    for run in result["runs"].values():
        assert run["products"] == 3 and run["certificates_issued"] == 3
        assert run["audit_chain_ok"] is True
        assert run["products_per_s"] > 0 and run["baseline"]["seconds"] > 0
        assert run["baseline"]["commits"] == round(run["commits_per_product"] * run["products"])
        assert set(run["phases_ms_per_product"]) == {"draft", "sample", "evidence", "submit", "items", "approve",
                                                     "housekeeping"}


def test_summary_reads_every_result(tmp_path):
    _bench("registration_bench.py", tmp_path, "--quick", "--sqlite-only")
    env = {**os.environ, "BENCH_RESULTS_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "summary.py")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    registration = next(line for line in lines if line.startswith("registration path (sqlite)"))
    assert "products/s" in registration and "quick" in registration
    assert any(line.startswith("catalog search (sqlite)") and "not run" in line for line in lines)
