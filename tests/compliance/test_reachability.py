"""Tests for USE-03: calling an API endpoint (against a real local server) and refusing private targets."""

import http.server
import ipaddress
import json
import socket
import threading
import time

import pytest

from compliance.checklist import evaluate
from compliance.declaration_checks import check_use_03
from compliance.facts import ProductFacts
from compliance.reachability import address_is_public, check_endpoint

RESULT_KEYS = {"url", "reachable", "status", "elapsed_ms", "error", "address"}


class _Handler(http.server.BaseHTTPRequestHandler):
    seen_hosts: list[str] = []

    def _answer(self, body: bool) -> None:
        type(self).seen_hosts.append(self.headers.get("Host", ""))
        if self.path.startswith("/head-refused") and self.command == "HEAD":
            self.send_response(405)
            self.end_headers()
            return
        status = {"/ok": 200, "/missing": 404, "/broken": 503, "/moved": 302}.get(self.path.split("?")[0], 200)
        self.send_response(status)
        if status == 302:
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
        payload = b"x" * 200_000
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if body:
            self.wfile.write(payload)

    def do_HEAD(self):
        self._answer(body=False)

    def do_GET(self):
        self._answer(body=True)

    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.mark.parametrize(
    ("path", "status"),
    [("/ok", 200), ("/missing", 404), ("/broken", 503), ("/moved", 302), ("/head-refused", 200)],
)
def test_local_server_answers_with_its_status(server, path, status):
    result = check_endpoint(server + path, timeout=2, allow_private=True)
    assert set(result) == RESULT_KEYS
    assert (result["reachable"], result["status"], result["error"]) == (True, status, None)
    assert result["address"] == "127.0.0.1"
    assert 0 < result["elapsed_ms"] < 2000
    json.dumps(result)


def test_connects_to_the_checked_address_and_sends_the_host_name(server):
    port = int(server.rsplit(":", 1)[1])
    calls = []

    def resolver(host, port_, **kwargs):
        calls.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port_))]

    _Handler.seen_hosts.clear()
    result = check_endpoint(f"http://api.broker.test:{port}/ok", timeout=2, allow_private=True, resolver=resolver)
    assert (result["status"], result["address"]) == (200, "127.0.0.1")
    assert calls == ["api.broker.test"]  # resolved once: no second lookup a rebinding DNS could answer
    assert _Handler.seen_hosts == [f"api.broker.test:{port}"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://10.1.2.3/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://[64:ff9b::a00:1]/",
        "https://localhost/",
    ],
)
def test_private_targets_are_refused_without_a_connection(url):
    started = time.monotonic()
    result = check_endpoint(url, timeout=5)
    assert result["reachable"] is False and result["status"] is None
    assert result["error"].startswith("refused:") and "not a public address" in result["error"]
    assert time.monotonic() - started < 1


def _resolving_to(*addresses):
    def resolver(host, port, **kwargs):
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses
        ]

    return resolver


@pytest.mark.parametrize(
    "addresses",
    [("10.0.0.5",), ("93.184.215.14", "192.168.0.10"), ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", "::1")],
)
def test_a_host_name_resolving_to_any_private_address_is_refused(addresses):
    result = check_endpoint("https://api.example.com/v1", resolver=_resolving_to(*addresses))
    private = next(a for a in addresses if not address_is_public(ipaddress.ip_address(a)))
    assert result["error"] == f"refused: api.example.com resolves to {private}, which is not a public address"
    assert result["address"] == private


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("ftp://example.com/file", "only http and https URLs are called, not 'ftp'"),
        ("file:///etc/passwd", "only http and https URLs are called, not 'file'"),
        ("example.com/api", "only http and https URLs are called, not a relative URL"),
        ("http:///path", "the URL has no host"),
        ("http://example.com:99999/", "not a valid URL"),
    ],
)
def test_urls_that_are_not_http_are_refused(url, error):
    result = check_endpoint(url, resolver=_resolving_to("93.184.215.14"))
    assert result["reachable"] is False and result["error"].startswith(error)


def test_unresolvable_host():
    def resolver(host, port, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    result = check_endpoint("https://no-such-host.invalid/", resolver=resolver)
    assert result["reachable"] is False
    assert result["error"].startswith("the host no-such-host.invalid cannot be resolved")


def test_a_server_that_accepts_but_never_answers_times_out():
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # the kernel completes the handshake; nobody ever reads or writes
    try:
        started = time.monotonic()
        result = check_endpoint(f"http://127.0.0.1:{silent.getsockname()[1]}/", timeout=0.5, allow_private=True)
        elapsed = time.monotonic() - started
    finally:
        silent.close()
    assert (result["reachable"], result["status"]) == (False, None)
    assert "timed out" in result["error"]
    assert 0.4 < elapsed < 1.5


def test_a_closed_port_is_unreachable():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    result = check_endpoint(f"http://127.0.0.1:{port}/", timeout=1, allow_private=True)
    assert result["reachable"] is False and "ConnectionRefusedError" in result["error"]


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True), ("8.8.8.8", True), ("2606:4700:4700::1111", True), ("::ffff:8.8.8.8", True),
        ("127.0.0.2", False), ("10.255.0.1", False), ("169.254.1.1", False), ("100.127.0.1", False),
        ("240.0.0.1", False), ("255.255.255.255", False), ("::", False), ("::ffff:10.0.0.1", False),
        ("ff02::1", False), ("2002:a00:1::", False), ("64:ff9b::7f00:1", False), ("64:ff9b::808:808", True),
    ],
)  # fmt: skip
def test_address_is_public(address, public):
    assert address_is_public(ipaddress.ip_address(address)) is public


# ---------------------------------------------------------------- the USE-03 opinion on a stored result


def _use_03(api_check, endpoint="https://api.example.cn/v1"):
    return check_use_03(ProductFacts(api_endpoint=endpoint, api_check=api_check), None, None)


def _checked(**changes):
    return {"url": "https://api.example.cn/v1", "reachable": True, "status": 200, "elapsed_ms": 85.2,
            "error": None, "address": "93.184.215.14", **changes}  # fmt: skip


@pytest.mark.parametrize(
    ("api_check", "outcome", "text"),
    [
        (None, None, "The API endpoint https://api.example.cn/v1 has not been checked yet."),
        (_checked(), "pass", "The API endpoint https://api.example.cn/v1 answered HTTP 200 in 85 ms."),
        (_checked(status=401), "pass", "answered HTTP 401 in 85 ms."),
        (_checked(status=302), "pass", "answered HTTP 302"),
        (_checked(status=500), "fail", "answered HTTP 500, a server error."),
        (
            _checked(reachable=False, status=None, error="127.0.0.1: timed out: no answer within 5 s"),
            "fail",
            "could not be reached: 127.0.0.1: timed out: no answer within 5 s.",
        ),
        (
            _checked(reachable=False, status=None, error="refused: api.example.cn resolves to 10.0.0.1, which is "
                     "not a public address"),
            "fail",
            "could not be reached: refused:",
        ),
        (_checked(url="https://old.example.cn/v1"), None, "has not been checked yet."),
    ],
)  # fmt: skip
def test_use_03_opinion(api_check, outcome, text):
    opinion = _use_03(api_check)
    assert opinion.outcome == outcome
    assert text in opinion.message["en"]
    assert opinion.details["api_check"] == api_check


def test_use_03_without_an_endpoint_fails():
    assert _use_03(None, endpoint="  ").outcome == "fail"


def test_use_03_fails_without_blocking_and_evaluate_never_calls_out(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("evaluate() must not touch the network")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    facts = ProductFacts(delivery_modes=["api"], api_endpoint="https://api.example.cn/v1",
                         api_check=_checked(status=502))  # fmt: skip
    result = {r.code: r for r in evaluate(facts, sample=None, scan=None)}["USE-03"]
    assert (result.applicable, result.outcome, result.blocking) == (True, "fail", False)


def test_a_submitted_body_cannot_claim_a_check_result():
    facts = ProductFacts.from_mapping({"api_endpoint": "https://x.cn", "api_check": _checked(), "today": "2020-01-01"})
    assert (facts.api_check, facts.today) == (None, None)
