"""Background jobs: RQ workers on Redis when REDIS_URL is set, inline in the request otherwise.

Features register a task by name with @task; the queue carries only the name and plain arguments, and
`run` executes the task inside an application context, in the web process (inline) or a worker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, current_app, has_app_context

log = logging.getLogger(__name__)

QUEUE_NAME = "exchange"
_tasks: dict[str, Callable] = {}
# The app a worker process serves; set by `flask --app app jobs worker` before it starts working.
_worker_app: Flask | None = None


def task(name: str) -> Callable[[Callable], Callable]:
    def register(function: Callable) -> Callable:
        _tasks[name] = function
        return function

    return register


def enqueue(name: str, *args) -> str:
    """Run the task now (no Redis) or hand it to the workers; returns how it ran: 'inline' or the RQ job id."""
    if name not in _tasks:
        raise KeyError(f"no task named {name}")
    url = current_app.config.get("REDIS_URL")
    if not url:
        run(name, *args)
        return "inline"
    job = _queue(url).enqueue_call(run, args=(name, *args), timeout=current_app.config.get(
        "MARKETPLACE_JOB_TIMEOUT_SECONDS", 1800), result_ttl=0)
    return job.id


def run(name: str, *args):
    """Entry point of every job, inline or in a worker: the task runs inside an app context."""
    if has_app_context():
        return _tasks[name](*args)
    if _worker_app is None:
        raise RuntimeError("jobs.run outside an app context: start workers with `flask --app app jobs worker`")
    with _worker_app.app_context():
        from marketplace.extensions import db

        # A forked work horse must not share the parent's pooled connections.
        db.engine.dispose(close=False)
        return _tasks[name](*args)


def _queue(url: str):
    from redis import Redis
    from rq import Queue

    return Queue(QUEUE_NAME, connection=Redis.from_url(url))


def work(app: Flask, *, burst: bool = False, fork: bool = True) -> None:
    """Serve the queue with an RQ worker bound to `app` (burst: stop when the queue is empty).

    fork=False runs each job in this process (RQ's SimpleWorker), as the tests do.
    """
    from redis import Redis
    from rq import SimpleWorker, Worker

    global _worker_app
    _worker_app = app
    worker_class = Worker if fork else SimpleWorker
    connection = Redis.from_url(app.config["REDIS_URL"])
    worker_class([QUEUE_NAME], connection=connection).work(burst=burst, with_scheduler=False)


def register_cli(app: Flask) -> None:
    import click
    from flask.cli import AppGroup

    group = AppGroup("jobs", help="Background jobs (RQ on Redis).")

    @group.command("worker")
    @click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
    def worker(burst):
        """Work the queue: sample scans and other jobs. Needs REDIS_URL."""
        if not current_app.config.get("REDIS_URL"):
            raise click.ClickException("REDIS_URL is not set: without Redis, jobs run inline in the web process.")
        work(current_app._get_current_object(), burst=burst)

    app.cli.add_command(group)
