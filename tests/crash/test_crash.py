"""The crash harness, bounded: two rounds of kill -9 under writers (`make crash` runs 50), on the database kind the
suite runs on: SQLite, or a scratch PostgreSQL database when DATABASE_URL names one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_two_crash_rounds_lose_and_duplicate_nothing():
    kind = ["--db", "postgresql"] if os.environ.get("DATABASE_URL", "").startswith("postgres") else []
    done = subprocess.run([sys.executable, "-m", "tests.crash.harness", "--rounds", "2", "--writers", "4", *kind],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    summary = json.loads(done.stdout)
    assert summary["ok"] and summary["lost"] == 0 and summary["duplicates"] == 0
    assert summary["acknowledged"] > 0 and summary["certificates"] >= 1
    assert all(check["failed"] == 0 for check in summary["checks"].values())
