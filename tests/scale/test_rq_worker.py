"""Jobs on RQ workers: the web process queues a sample scan on Redis and a separate `flask --app app jobs worker`
process (RQ's forking worker, as the Procfile's `worker:` runs it) does it; the web answers from the database.

tests/marketplace/test_scanning.py covers the same path inside one process (RQ's SimpleWorker in the test).
"""

from __future__ import annotations

import os
import subprocess

import pytest
from redis import Redis

from marketplace import jobs
from tests.scale.stack import BIN, ROOT, Stack, _free_port, queue_scan, scan_state, stop

REDIS_URL = os.environ.get("REDIS_URL")

pytestmark = pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL (CI's PostgreSQL pass sets it)")


@pytest.fixture
def stack():
    stack = Stack(redis_url=REDIS_URL, prefix="scale-rq-")
    try:
        stack.setup()
        yield stack
    finally:
        stack.close()


def test_a_worker_process_completes_a_scan_the_web_queued(stack):
    Redis.from_url(REDIS_URL).delete(f"rq:queue:{jobs.QUEUE_NAME}")  # no job of another run is left for it
    port = _free_port()
    stack.gunicorn("web", port)
    url, headers = queue_scan(stack, f"http://127.0.0.1:{port}")
    # Nobody works the queue yet: the web process did not run the scan itself.
    assert scan_state(url, headers, until={"queued"})["state"] == "queued"

    with (stack.workdir / "worker.log").open("w") as log:
        worker = subprocess.Popen([str(BIN / "flask"), "--app", "app", "jobs", "worker"], cwd=ROOT, env=stack.env,
                                  stdout=log, stderr=subprocess.STDOUT)
    stack.processes.append(worker)
    done = scan_state(url, headers, until={"succeeded", "failed"})
    assert done["state"] == "succeeded", (done, (stack.workdir / "worker.log").read_text()[-3000:])
    assert done["progress"] == 1.0 and {finding["column"] for finding in done["findings"]} == {"id_no"}
    # SIGTERM is RQ's warm shutdown: the worker finishes (here: has finished) its job and exits cleanly.
    assert stop(worker) == 0, (stack.workdir / "worker.log").read_text()[-3000:]
    assert "Job OK" in (stack.workdir / "worker.log").read_text()
