"""The Procfile under honcho, as a developer runs the whole deployment on one machine.

`release:` is a one-off in Heroku's sense (Heroku, Dokku and Scalingo run it before each deploy), and honcho stops
every process as soon as one exits, so `honcho start` with no names would stop all after the migrations. Run it
as two steps: `honcho start release` (migrations; honcho exits with their status), then
`honcho start web worker clock` (`web clock` without REDIS_URL: the worker refuses to start without Redis).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time

import pytest
import requests

from tests.scale.stack import BIN, ROOT, Stack, _free_port, kill, queue_scan, scan_state

REDIS_URL = os.environ.get("REDIS_URL")


@pytest.fixture
def stack():
    stack = Stack(redis_url=REDIS_URL, prefix="scale-honcho-")
    try:
        yield stack
    finally:
        stack.close()


def _env(stack: Stack) -> dict:
    # The Procfile names bare commands (flask, gunicorn), as found on the PATH of an activated virtualenv.
    return {**stack.env, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def _honcho(stack: Stack, *args: str) -> list[str]:
    env_file = stack.workdir / "honcho.env"  # not the checkout's .env, if a developer keeps one
    env_file.touch()
    return [str(BIN / "honcho"), "start", "-f", str(ROOT / "Procfile"), "-d", str(ROOT), "-e", str(env_file), *args]


def _wait_for_output(log, pattern: str, process: subprocess.Popen, timeout: float = 120) -> re.Match:
    deadline = time.monotonic() + timeout
    while True:
        text = log.read_text()
        if match := re.search(pattern, text, re.MULTILINE):
            return match
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"no line matching {pattern!r} from honcho (rc={process.poll()}):\n{text[-4000:]}")
        time.sleep(0.2)


def _gone(pid: int) -> bool:
    try:
        os.killpg(pid, 0)  # honcho starts each process in a group of its own
    except ProcessLookupError:
        return True
    return False


def test_release_then_web_worker_and_clock_under_honcho(stack):
    release = subprocess.run(_honcho(stack, "release"), cwd=ROOT, env=_env(stack), capture_output=True, text=True,
                             timeout=300)
    assert release.returncode == 0, release.stdout + release.stderr
    assert re.search(r"release\.1 stopped \(rc=0\)", release.stdout), release.stdout
    current = subprocess.run([str(BIN / "flask"), "--app", "app", "db", "current"], cwd=ROOT, env=stack.env,
                             capture_output=True, text=True, timeout=120)
    assert "(head)" in current.stdout, "release migrated the database to the newest revision"
    stack.setup(migrate=False)

    names = ["web", "worker", "clock"] if REDIS_URL else ["web", "clock"]
    log = stack.workdir / "honcho.log"
    with log.open("w") as out:
        honcho = subprocess.Popen(_honcho(stack, "-p", str(_free_port()), *names), cwd=ROOT, env=_env(stack),
                                  stdout=out, stderr=subprocess.STDOUT)
    try:
        # gunicorn binds 0.0.0.0:$PORT when PORT is set (honcho sets it), so `web: gunicorn app:app` needs no flag.
        port = int(_wait_for_output(log, r"^\S+ web\.1\s+\| .*Listening at: http://0\.0\.0\.0:(\d+)", honcho).group(1))
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                catalog = requests.get(f"{base}/?lang=en", timeout=10)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, log.read_text()[-4000:]
                time.sleep(0.2)
        assert catalog.status_code == 200 and "<html" in catalog.text

        # The clock runs housekeeping at once, then every 5 minutes; each run prints one JSON summary.
        line = _wait_for_output(log, r"^\S+ clock\.1\s+\| (\{.*\})$", honcho).group(1)
        assert {"expired", "payments"} <= json.loads(line).keys()

        if REDIS_URL:
            url, headers = queue_scan(stack, base)
            done = scan_state(url, headers, until={"succeeded", "failed"})
            assert done["state"] == "succeeded", log.read_text()[-4000:]
            assert re.search(r"^\S+ worker\.1\s+\| .*Job OK", log.read_text(), re.MULTILINE)

        pids = {name: int(pid) for name, pid in re.findall(r"(\w+)\.1 started \(pid=(\d+)\)", log.read_text())}
        assert set(pids) == set(names)
    finally:
        honcho.send_signal(signal.SIGTERM)
        try:
            honcho.wait(timeout=60)
        except subprocess.TimeoutExpired:
            kill(honcho)
    text = log.read_text()
    assert honcho.returncode == 128 + signal.SIGTERM, text[-4000:]  # honcho's code for "stopped by SIGTERM"
    for name in names:
        assert re.search(rf"{name}\.1 stopped \(rc=", text), text[-4000:]
    # Every process group honcho started is gone: the clock's `sleep 300` and gunicorn's workers included.
    # Every process group honcho started empties (the clock's `sleep 300`, gunicorn's and RQ's children included),
    # allowing for children still finishing a graceful shutdown when honcho returns.
    deadline = time.monotonic() + 30
    while (left := [pid for pid in pids.values() if not _gone(pid)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not left, subprocess.run(["ps", "-o", "pid,pgid,stat,args", "-g", ",".join(map(str, left))],
                                    capture_output=True, text=True).stdout
