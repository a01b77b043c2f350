"""USE-03 wiring: drafting or changing an API endpoint runs the reachability job, whose result the checks use."""

import http.server
import threading

import pytest

from marketplace.extensions import db
from marketplace.products import services
from marketplace.products.checks import check_api
from tests.builders import draft


class _Ok(http.server.BaseHTTPRequestHandler):
    def do_HEAD(self):
        self.send_response(204)
        self.end_headers()

    def log_message(self, format, *args):
        pass


@pytest.fixture
def endpoint():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def _use_03(version):
    return next(r for r in version.check_results if r["code"] == "USE-03")


def test_a_reachable_endpoint_passes_use_03(app, world, endpoint):
    app.config["MARKETPLACE_ALLOW_PRIVATE_ENDPOINTS"] = True  # the test server listens on loopback
    version = draft(world.broker_a, delivery_modes=["api"], api_endpoint=endpoint).latest
    db.session.expire_all()
    assert (version.api_check["reachable"], version.api_check["status"], version.api_check["url"]) == (
        True, 204, endpoint)
    assert (_use_03(version)["outcome"], _use_03(version)["blocking"]) == ("pass", False)
    assert _use_03(version)["details"]["api_check"]["status"] == 204


def test_a_private_endpoint_is_refused_by_default(app, world, endpoint):
    version = draft(world.broker_a, delivery_modes=["api"], api_endpoint=endpoint).latest
    db.session.expire_all()
    assert version.api_check["reachable"] is False and version.api_check["error"].startswith("refused:")
    assert _use_03(version)["outcome"] == "fail"


def test_no_api_delivery_means_no_call(app, world):
    version = draft(world.broker_a, delivery_modes=["file"], api_endpoint="http://127.0.0.1:9/").latest
    assert check_api(version, allow_private=True) is None
    assert version.api_check is None
    assert not _use_03(version)["applicable"]


def test_changing_the_endpoint_checks_it_again(app, world, endpoint):
    app.config["MARKETPLACE_ALLOW_PRIVATE_ENDPOINTS"] = True
    product = draft(world.broker_a, delivery_modes=["api"], api_endpoint="http://127.0.0.1:9/")
    db.session.expire_all()
    assert product.latest.api_check["reachable"] is False
    services.update_product(product.id, actor=world.broker_a, api_endpoint=endpoint)
    db.session.expire_all()
    assert product.latest.api_check["reachable"] is True and product.latest.api_check["url"] == endpoint
    assert _use_03(product.latest)["outcome"] == "pass"
