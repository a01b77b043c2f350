"""Stateless app servers: two gunicorn instances of the app on one database behind HAProxy (round robin, health
checks). A browser signs in, fetches a CSRF-protected form and posts it with requests landing on both instances;
the sign-in throttle counts across instances on Redis; when one instance is killed the balancer keeps serving the
same session from the other.

HAProxy names the instance that answered in an X-Served-By header (its `srv_name`), and each instance's own
access log shows the requests it served.
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests

from tests.scale.stack import BROKER, PASSWORD, Stack, _free_port, csrf_token, kill

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
INSTANCES = ("web1", "web2")
# Counts on Redis outlive the test (15 minutes): a name of its own per run.
THROTTLED = f"throttled-{uuid.uuid4().hex[:8]}@scale.test"
SIGNED_IN = 'action="/sign-out"'  # the header's sign-out form: only a signed-in page has it

pytestmark = pytest.mark.skipif(not Path(HAPROXY).exists() and not os.environ.get("CI"),
                                reason="HAProxy is not installed (apt-get install haproxy; .ci/run does)")

CONFIG = """\
global
    stats socket {socket} mode 600 level admin

defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    # A request whose instance died is sent to another one instead of failing.
    retries 3
    option redispatch
    retry-on conn-failure empty-response

frontend exchange
    bind 127.0.0.1:{port}
    default_backend app

backend app
    balance roundrobin
    # The client's address for the app (MARKETPLACE_TRUSTED_PROXIES=1): its sign-in throttle counts per client.
    option forwardfor
    option httpchk
    http-check send meth GET uri /api/v1/notices
    http-response set-header X-Served-By %[srv_name]
{servers}
"""


class Balancer:
    def __init__(self, stack: Stack, backends: dict[str, int]):
        self.port = _free_port()
        self.socket = stack.workdir / "haproxy.sock"
        config = stack.workdir / "haproxy.cfg"
        config.write_text(CONFIG.format(socket=self.socket, port=self.port, servers="\n".join(
            f"    server {name} 127.0.0.1:{port} check inter 200ms fall 2 rise 1"
            for name, port in backends.items())))
        check = subprocess.run([HAPROXY, "-c", "-f", str(config)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        # -db: stay in the foreground, so the test owns (and stops) the process.
        self.process = subprocess.Popen([HAPROXY, "-db", "-f", str(config)], stdout=subprocess.DEVNULL,
                                        stderr=(stack.workdir / "haproxy.log").open("w"))
        stack.processes.append(self.process)
        self.url = f"http://127.0.0.1:{self.port}"

    def status(self) -> dict[str, str]:
        """Each server's health as HAProxy sees it (UP, DOWN, ...), from `show stat` on the stats socket."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(str(self.socket))
            sock.sendall(b"show stat\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        lines = data.decode().splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line]
        return {row["svname"]: row["status"] for row in rows if row["pxname"] == "app" and row["svname"] in INSTANCES}

    def wait_until(self, expected: dict[str, str], timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                seen = self.status()
            except OSError:
                seen = {}
            if all(seen.get(name, "").startswith(state) for name, state in expected.items()):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"HAProxy shows {seen}, expected {expected}")
            time.sleep(0.05)


@pytest.fixture(scope="module")
def deployment():
    """Two instances (one gunicorn worker each) and HAProxy; Redis shared when REDIS_URL is set."""
    stack = Stack(redis_url=os.environ.get("REDIS_URL"), prefix="scale-lb-")
    stack.env["MARKETPLACE_TRUSTED_PROXIES"] = "1"
    try:
        stack.setup()
        # The throttle test locks this one out (from 127.0.0.1, where every request comes from) for 15 minutes.
        stack.flask("users", "create", THROTTLED, "--org", stack.org, "--role", "broker", stdin=PASSWORD + "\n")
        ports = {name: _free_port() for name in INSTANCES}
        servers = {name: stack.gunicorn(name, port) for name, port in ports.items()}
        balancer = Balancer(stack, ports)
        balancer.wait_until({name: "UP" for name in INSTANCES})
        yield stack, servers, balancer
    finally:
        stack.close()


def _served(response: requests.Response) -> str:
    assert response.headers.get("X-Served-By") in INSTANCES, response.headers
    return response.headers["X-Served-By"]


def _sign_in_from(address: str, url: str, email: str) -> int:
    """Sign in from another local address (requests cannot choose its source address); the answer's status."""
    host, port = url.removeprefix("http://").split(":")

    def send(method: str, path: str, body: str = "", headers: dict | None = None):
        connection = http.client.HTTPConnection(host, int(port), timeout=10, source_address=(address, 0))
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response, response.read().decode()

    form, page = send("GET", "/sign-in?lang=en")
    cookie = form.getheader("Set-Cookie").split(";", 1)[0]
    answer, _body = send("POST", "/sign-in", urlencode({"email": email, "password": PASSWORD,
                                                        "csrf_token": csrf_token(page)}),
                         {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    return answer.status


def _sign_in(browser: requests.Session, url: str, email: str = BROKER, password: str = PASSWORD) -> requests.Response:
    form = browser.get(f"{url}/sign-in?lang=en")
    return browser.post(f"{url}/sign-in", data={"email": email, "password": password,
                                                "csrf_token": csrf_token(form.text)}, allow_redirects=False)


def test_a_session_and_its_csrf_token_hold_on_both_instances(deployment):
    stack, _servers, balancer = deployment
    browser = requests.Session()
    served = []

    form = browser.get(f"{balancer.url}/sign-in?lang=en")
    signed_in = browser.post(f"{balancer.url}/sign-in", data={
        "email": BROKER, "password": PASSWORD, "csrf_token": csrf_token(form.text)}, allow_redirects=False)
    assert signed_in.status_code == 302, signed_in.text
    served += [_served(form), _served(signed_in)]

    # A CSRF-protected form fetched from one instance and posted to the other.
    page = browser.get(f"{balancer.url}/account/clients?lang=en")
    assert page.status_code == 200 and SIGNED_IN in page.text
    created = browser.post(f"{balancer.url}/account/clients?lang=en", data={
        "name": "made through the balancer", "scopes": "products", "csrf_token": csrf_token(page.text)})
    assert created.status_code == 200 and "Copy the secret now" in created.text, created.text[-2000:]
    assert _served(page) != _served(created), "round robin: the form and its post reached different instances"
    served += [_served(page), _served(created)]

    for _ in range(4):
        dashboard = browser.get(f"{balancer.url}/dashboard?lang=en", allow_redirects=False)
        assert dashboard.status_code == 200 and SIGNED_IN in dashboard.text
        served.append(_served(dashboard))

    assert set(served) == set(INSTANCES)
    # Each instance's own access log has the signed-in requests it answered.
    for name in INSTANCES:
        assert "GET /dashboard" in stack.access_log(name), name


def test_the_sign_in_throttle_counts_across_instances(deployment):
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs REDIS_URL: without Redis each instance counts failed sign-ins in its own memory")
    _stack, _servers, balancer = deployment
    browser = requests.Session()
    token = csrf_token(browser.get(f"{balancer.url}/sign-in?lang=en").text)

    def attempt(password: str) -> requests.Response:
        return browser.post(f"{balancer.url}/sign-in", allow_redirects=False, data={
            "email": THROTTLED, "password": password, "csrf_token": token})

    served = []
    for _attempt in range(5):  # MARKETPLACE_SIGNIN_MAX_FAILURES, alternating between the instances
        failed = attempt("not the password")
        assert failed.status_code == 401
        served.append(_served(failed))
    assert set(served) == set(INSTANCES) and max(map(served.count, INSTANCES)) < 5
    # Neither instance saw five failures itself; together they did, so even the right password waits.
    throttled = attempt(PASSWORD)
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0
    again = attempt(PASSWORD)
    assert again.status_code == 429 and _served(again) != _served(throttled)
    # Another client of the same balancer (connecting from 127.0.0.2) is not locked out of that account: the apps
    # trust one proxy and count by the address HAProxy saw and put in X-Forwarded-For.
    assert _sign_in_from("127.0.0.2", balancer.url, THROTTLED) == 302


def test_killing_an_instance_loses_no_session(deployment):
    _stack, servers, balancer = deployment
    browser = requests.Session()
    assert _sign_in(browser, balancer.url).status_code == 302

    kill(servers["web1"])  # SIGKILL, master and worker: no graceful goodbye
    served = []
    for _ in range(6):
        # Until the health check notices, a request sent to the dead instance is redispatched to the live one.
        dashboard = browser.get(f"{balancer.url}/dashboard?lang=en", allow_redirects=False)
        assert dashboard.status_code == 200 and SIGNED_IN in dashboard.text
        served.append(_served(dashboard))
    assert set(served) == {"web2"}
    balancer.wait_until({"web1": "DOWN", "web2": "UP"})
