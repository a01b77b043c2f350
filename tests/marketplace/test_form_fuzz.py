"""Hypothesis-generated junk into every HTML form of the web UI: whoever posts it, never a 5xx.

The routes come from `app.url_map` (every POST rule outside /api/, /oauth/ and /webhooks/), so a new form is fuzzed
the day it lands. For each route and each role (and anonymous) a signed-in client with a valid CSRF token posts field
values drawn by Hypothesis: huge strings, control characters, invalid UTF-8, numbers out of range, repeated fields
(arrays), missing fields, junk files. A 4xx or a re-rendered form is the expected answer; a 5xx fails.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from werkzeug.routing import AnyConverter, IntegerConverter

from marketplace.app_factory import create_app
from marketplace.extensions import db
from tests.builders import PASSWORD, World, ready_draft
from tests.fixtures import fresh_app
from tests.trading_builders import FREE, ONE_OFF, listed_with, signed_contract

ROOT = Path(__file__).resolve().parents[2]
ROLES = ("anonymous", "broker_a", "buyer", "reviewer", "admin", "finance", "subject")
EXCLUDED_PREFIXES = ("/api/", "/oauth/", "/webhooks/")
# Bounded for CI: examples per (route, role). FORM_FUZZ_EXAMPLES raises it for a deeper run.
EXAMPLES = int(os.environ.get("FORM_FUZZ_EXAMPLES", "6"))

# Requests posted per route, summed over roles (the README's figure for form fuzzing).
POSTS: dict[str, int] = {}


def _form_routes() -> list[str]:
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "SERVER_NAME": "localhost", "REDIS_URL": None})
    return sorted(rule.rule for rule in app.url_map.iter_rules()
                  if "POST" in rule.methods and not rule.rule.startswith(EXCLUDED_PREFIXES))


def _field_names() -> list[str]:
    """Every name a form of ours uses: `name="…"` in the templates and the string literals of the views."""
    names = set()
    for template in (ROOT / "templates").rglob("*.html"):
        names.update(re.findall(r'name="([A-Za-z_][\w\[\]-]*)"', template.read_text(encoding="utf-8")))
    for views in (ROOT / "marketplace").rglob("views.py"):
        names.update(re.findall(r'"([a-z][a-z_]*(?:\[\])?)"', views.read_text(encoding="utf-8")))
    names.update({"offers-0-name", "offers-0-pricing_mode", "offers-0-price", "offers-0-term_months",
                  "offers-0-currency", "offers-0-instant", "offers-99999999999999999999-price",
                  "field_name[]", "field_type[]", "field_description[]", "field_pi[]", "field_sensitive[]"})
    names.discard("csrf_token")
    return sorted(names)


FIELD_NAMES = _field_names()

# Text that breaks things: control characters, surrogates' neighbours, huge strings, SQL and HTML, odd numbers.
JUNK_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=20),
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=20),
    st.builds(lambda c, n: c * n, st.sampled_from("x中\u202e\u0000'<"), st.sampled_from([1_000, 70_000, 1_100_000])),
    st.integers().map(str),
    st.sampled_from(["-1", "0", "1e309", "NaN", "inf", "99999999999999999999999", "2**63", "1.5", "0x10",
                     "9223372036854775808", "' OR 1=1 --", "<script>alert(1)</script>", "true", "on", "", " ",
                     "2026-13-45", "ENT-01", "approve", "reject", "offline", "stripe", "grant", "pass", "fail"]),
)
JUNK_BYTES = st.one_of(
    st.binary(max_size=40),
    st.sampled_from([b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\x80abc", b"\xf8\x88\x80\x80\x80"]),
)
# URL segments stay short: a real server refuses request lines past a few KiB before the app sees them, and
# megabyte paths only measure werkzeug's unquoting (minutes per route).
URL_TEXT = st.one_of(st.text(max_size=40), st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=20),
                     st.sampled_from(["-1", "0", "99999999999999999999999", "' OR 1=1 --", "<script>", " ",
                                      "x" * 2000]))
VALUE = st.one_of(JUNK_TEXT.map(lambda text: text.encode("utf-8", "surrogatepass")), JUNK_BYTES)
FIELDS = st.lists(st.tuples(st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=10)), VALUE), max_size=12)
FILES = st.lists(st.tuples(st.sampled_from(["file", "files"]), st.binary(max_size=2_000),
                           st.sampled_from(["sample.csv", "x.xlsx", "a.json", "", "../../etc/passwd", "中.txt"])),
                 max_size=2)


def _url_values(rule, content) -> dict:
    """A strategy per URL variable: real ids and numbers as often as missing ones."""
    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, AnyConverter):
            values[name] = st.sampled_from(sorted(converter.items))
        elif isinstance(converter, IntegerConverter):
            values[name] = st.sampled_from([1, 2, 3, 0, 999_999, 2**31 - 1])
        elif name == "number":
            values[name] = st.one_of(st.just(content["certificate"]), URL_TEXT.filter(lambda t: t and "/" not in t))
        elif name == "code":
            values[name] = st.one_of(st.sampled_from(["ENT-01", "SRC-02", "PI-01"]),
                                     URL_TEXT.filter(lambda t: t and "/" not in t))
        else:
            values[name] = URL_TEXT.filter(lambda t: t and "/" not in t)
    return st.fixed_dictionaries(values)


def _csrf(client) -> str:
    for page in ("/account/clients", "/sign-in", "/"):
        match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(page).get_data(as_text=True))
        if match:
            return match.group(1)
    raise AssertionError("no page carries a CSRF token")


def _client_for(app, world, role):
    client = app.test_client()
    if role != "anonymous":
        token = _csrf(client)
        response = client.post("/sign-in", data={"email": getattr(world, role).email, "password": PASSWORD,
                                                  "csrf_token": token})
        assert response.status_code == 302, (role, response.status_code)
    return client


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory, _postgres_schema):
    """One app and database for the whole module: the junk of one route meets the leftovers of the others."""
    with fresh_app(tmp_path_factory.mktemp("form-fuzz")) as app:
        world = World.build()
        product, offers = listed_with(world, ONE_OFF, FREE)
        signed_contract(world, product, offers["One-off"])
        ready_draft(world.broker_a)
        db.session.commit()
        certificate = app.test_client().get(f"/api/v1/listings/{product.id}").json["certificate_number"]
        yield app, world, {"certificate": certificate}


@pytest.mark.parametrize("route", _form_routes())
def test_junk_into_the_form_gives_no_server_error(fuzzed, route):
    app, world, content = fuzzed
    rule = next(rule for rule in app.url_map.iter_rules() if rule.rule == route and "POST" in rule.methods)
    adapter = app.url_map.bind("localhost")
    failures = []
    POSTS[route] = 0

    for role in ROLES:
        client = _client_for(app, world, role)

        @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(url_values=_url_values(rule, content), fields=FIELDS, files=FILES, multipart=st.booleans())
        def post_junk(url_values, fields, files, multipart):
            path = adapter.build(rule.endpoint, url_values, method="POST").removeprefix("http://localhost")
            token = _csrf(client)
            if multipart or files:
                # Werkzeug encodes multipart parts from text: invalid UTF-8 goes through the urlencoded branch.
                data = {}
                for name, value in fields:
                    data.setdefault(name, []).append(value.decode("utf-8", "replace"))
                for name, payload, filename in files:
                    data.setdefault(name, []).append((io.BytesIO(payload), filename))
                data["csrf_token"] = token
                response = client.post(path, data=data, content_type="multipart/form-data")
            else:
                pairs = [*fields, (b"csrf_token", token.encode())]
                body = "&".join(f"{quote_from_bytes(_bytes(name))}={quote_from_bytes(_bytes(value))}"
                                for name, value in pairs)
                response = client.post(path, data=body, content_type="application/x-www-form-urlencoded")
            POSTS[route] += 1
            if response.status_code >= 500:
                failures.append(f"{role} POST {path} -> {response.status_code}: fields={fields!r:.400} "
                                f"files={[(n, len(p), f) for n, p, f in files]}")

        post_junk()
    print(f"\nform fuzz {route}: {POSTS[route]} posts")
    assert not failures, "\n".join(failures[:20])


def _bytes(value) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass")
