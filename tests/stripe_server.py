"""A Stripe API mock for the payment tests: Prism serving the trimmed Stripe spec (tests/stripe/).

Registered for the whole suite by tests/conftest.py (`pytest_plugins`). The session-scoped `stripe_api_base`
starts `prism mock` on a free port of 127.0.0.1 and yields its base URL; `stripe_client` is a
`stripe.StripeClient` pointed at it. Prism validates each request against Stripe's own spec (a request
missing a required parameter, with a wrong type or an unknown enum value gets HTTP 422, the violations in
the `sl-violations` header) and answers with the spec's static example of the response schema.

Prism is installed by `make install-dev` (npm ci in tests/stripe/). Without it the tests using these
fixtures skip, except when the CI environment variable is set: there a missing mock is a failure.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

STRIPE_DIR = Path(__file__).resolve().parent / "stripe"
PRISM = STRIPE_DIR / "node_modules" / ".bin" / "prism"
SPEC = STRIPE_DIR / "stripe-openapi.json"
START_TIMEOUT = 30.0
TEST_API_KEY = "sk_test_123"


def _require_prism() -> None:
    if PRISM.exists():
        return
    reason = f"the Stripe mock (Prism) is not installed at {PRISM.relative_to(STRIPE_DIR.parents[1])}; "
    reason += "`make install-dev` installs it (npm ci --prefix tests/stripe)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI forbids skipping", pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(base: str) -> bool:
    """True once Prism answers HTTP at all (any status: an unknown event id still gets a mocked reply)."""
    request = urllib.request.Request(f"{base}/v1/events/evt_ping",
                                     headers={"Authorization": f"Bearer {TEST_API_KEY}"})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            response.read()
        return True
    except urllib.error.HTTPError as error:
        error.close()
        return True
    except OSError:
        return False


def _stop(process: subprocess.Popen) -> None:
    """Terminate Prism's process group (the npm shim's node and anything it forked), then make sure."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def stripe_api_base(tmp_path_factory):
    """Base URL (http://127.0.0.1:PORT) of a Prism mock of the Stripe API, started once per session."""
    _require_prism()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("prism") / "prism.log"
    command = [str(PRISM), "mock", "-p", str(port), "--host", "127.0.0.1",
               "--errors=false", "--dynamic=false", str(SPEC)]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers(base):
            if process.poll() is not None or time.monotonic() > deadline:
                state = (f"exited with status {process.returncode}" if process.poll() is not None
                         else f"did not answer within {START_TIMEOUT:.0f} s")
                output = log_path.read_text(encoding="utf-8", errors="replace")[-5000:]
                pytest.fail(f"Prism {state}: {' '.join(command)}\n--- Prism output ---\n{output}", pytrace=False)
            time.sleep(0.1)
        yield base
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def stripe_client(stripe_api_base):
    """A `stripe.StripeClient` with a test key whose API calls go to the Prism mock."""
    import stripe  # here, not at module level: every test session loads this plugin

    return stripe.StripeClient(TEST_API_KEY, base_addresses={"api": stripe_api_base})
