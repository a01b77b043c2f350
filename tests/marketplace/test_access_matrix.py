"""The route x role matrix generated from `app.url_map`, and the two-tenant IDOR sweep over every object route.

One world of real objects is built once through the services into an SQLite file; each route then runs on a
copy of it, so an allowed state change under one route never leaks into the next.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from marketplace.extensions import db
from tests.builders import PASSWORD
from tests.fixtures import POSTGRES_URL, fresh_app
from tests.marketplace.consent.helpers import CATEGORIES, SUBJECT_ID
from tests.marketplace.test_web import _csrf, _sign_in

pytestmark = pytest.mark.skipif(bool(POSTGRES_URL), reason="copies an SQLite template database per route")

ROLES = ("anonymous", "broker", "buyer", "reviewer", "admin", "finance", "subject")
USERS = {"broker": "broker_a", "buyer": "buyer", "reviewer": "reviewer", "admin": "admin", "finance": "finance",
         "subject": "subject", "broker_b": "broker_b", "buyer_b": "buyer_b"}
SKIPPED = ("/static/", "/api/docs/static/")
STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")

# Rules that authenticate by their own credential (client secret, password, Stripe signature), not a role.
OWN_AUTH = "own-auth"

ALL = frozenset(ROLES)
SIGNED = ALL - {"anonymous"}
IN_ORG = SIGNED - {"subject"}
TRADERS = frozenset({"broker", "buyer", "admin", "finance"})
PARTIES_AND_STAFF = TRADERS
B, U, R, A, F, S = ({role} for role in ("broker", "buyer", "reviewer", "admin", "finance", "subject"))
PRODUCT_READERS = frozenset({"broker", "reviewer", "admin"})

# Who may do what, read from marketplace/policy.py: "METHOD /path" (converters dropped, any() expanded) ->
# the roles allowed; every other role must be denied. A new rule fails test_every_rule_has_an_expectation.
EXPECT: dict[str, frozenset | str] = {
    "GET /": ALL,
    "GET /.well-known/exchange-keys.json": ALL,
    "GET /account/clients": SIGNED,
    "POST /account/clients": SIGNED,
    "GET /admin/objections": A,
    "GET /admin/organizations": A,
    "POST /admin/organizations/<org_id>/decision": A,
    "GET /api/docs": ALL,
    "POST /api/v1/access-requests": U,
    "GET /api/v1/access-requests": TRADERS,
    "GET /api/v1/access-requests/<request_id>": PARTIES_AND_STAFF,
    "POST /api/v1/access-requests/<request_id>/decision": B,
    "POST /api/v1/access-requests/<request_id>/resubmit": U,
    "POST /api/v1/access-requests/<request_id>/withdraw": U,
    "GET /api/v1/certificates/<number>": ALL,
    "POST /api/v1/certificates/<number>/cancel": B,
    "POST /api/v1/certificates/<number>/renew": B,
    "POST /api/v1/certificates/<number>/revoke": A,
    "POST /api/v1/consent-requests": U,
    "GET /api/v1/consents": S,
    "GET /api/v1/consents/<consent_id>": S | U | A,
    "POST /api/v1/consents/<consent_id>/grant": S,
    "POST /api/v1/consents/<consent_id>/refuse": S,
    "POST /api/v1/consents/<consent_id>/withdraw": S,
    "GET /api/v1/contracts": TRADERS,
    "GET /api/v1/contracts/<contract_id>": PARTIES_AND_STAFF,
    "POST /api/v1/contracts/<contract_id>/aggregates": U,
    "GET /api/v1/contracts/<contract_id>/files": U,
    "GET /api/v1/contracts/<contract_id>/files/<file_id>": U,
    "POST /api/v1/contracts/<contract_id>/payments": U,
    "GET /api/v1/contracts/<contract_id>/payments": PARTIES_AND_STAFF,
    "GET /api/v1/contracts/<contract_id>/records": U,
    "POST /api/v1/contracts/<contract_id>/sign": B | U,
    "GET /api/v1/listings": ALL,
    "GET /api/v1/listings/<product_id>": ALL,
    "GET /api/v1/log/checkpoint": ALL,
    "GET /api/v1/log/consistency": ALL,
    "GET /api/v1/me": SIGNED,
    "GET /api/v1/notices": ALL,
    "POST /api/v1/notices/<product_id>/objections": SIGNED,
    "GET /api/v1/notifications": SIGNED,
    "POST /api/v1/notifications/<notification_id>/read": B,
    "POST /api/v1/notifications/read-all": SIGNED,
    "POST /api/v1/objections/<objection_id>/decision": A,
    "GET /api/v1/openapi.json": ALL,
    "POST /api/v1/payments/<payment_id>/confirm": F,
    "GET /api/v1/personal-certificates/<number>": ALL,
    "POST /api/v1/products": B,
    "GET /api/v1/products": B,
    "GET /api/v1/products/<product_id>": PRODUCT_READERS,
    "PATCH /api/v1/products/<product_id>": B,
    "POST /api/v1/products/<product_id>/evidence": B,
    "POST /api/v1/products/<product_id>/listing": B,
    "GET /api/v1/products/<product_id>/listing": B | A,
    "POST /api/v1/products/<product_id>/listing/delist": B | A,
    "POST /api/v1/products/<product_id>/listing/relist": A,
    "POST /api/v1/products/<product_id>/listing/suspend": A,
    "POST /api/v1/products/<product_id>/releases": B,
    "GET /api/v1/products/<product_id>/releases": B,
    "POST /api/v1/products/<product_id>/releases/<number>/revoke": B,
    "PUT /api/v1/products/<product_id>/sample": B,
    "POST /api/v1/products/<product_id>/submit": B,
    "GET /api/v1/products/<product_id>/timeline": PRODUCT_READERS,
    "GET /api/v1/products/scans/<job_id>": PRODUCT_READERS,
    "GET /api/v1/reviews": R,
    "GET /api/v1/reviews/<review_id>": R,
    "POST /api/v1/reviews/<review_id>/decision": R,
    "PUT /api/v1/reviews/<review_id>/items/<code>": R,
    "GET /catalog.jsonld": ALL,
    "GET /certificates/<number>": ALL,
    "POST /certificates/<number>/cancel": B,
    "POST /certificates/<number>/revoke": A,
    "POST /certificates/<number>/renew": B,
    "GET /dashboard": SIGNED,
    "GET /evidence/<evidence_id>": PRODUCT_READERS,
    "GET /finance/settlements": F | A,  # exchange staff read; only finance confirms
    "POST /finance/settlements/<payment_id>/confirm": F,
    "GET /inbox": SIGNED,
    "POST /inbox/<notification_id>/read": B,
    "POST /inbox/read-all": SIGNED,
    "GET /invitations/<token>": ALL,
    "POST /invitations/<token>": ALL,
    "GET /join": ALL,
    "POST /join": ALL,
    "GET /listings/<product_id>": ALL,
    "POST /listings/<product_id>/suspend": A,
    "POST /listings/<product_id>/relist": A,
    "POST /listings/<product_id>/delist": B | A,
    "GET /my/data": S,
    "POST /my/data/consents/<consent_id>/grant": S,
    "POST /my/data/consents/<consent_id>/refuse": S,
    "POST /my/data/consents/<consent_id>/withdraw": S,
    "GET /my/products": SIGNED,  # an empty list for non-brokers
    "GET /notices": ALL,
    "GET /notices/<notice_id>": ALL,
    "POST /notices/<notice_id>/objections": SIGNED,
    "POST /oauth/token": OWN_AUTH,
    "POST /objections/<objection_id>/decision": A,
    "GET /organization": IN_ORG,
    "POST /organization/invitations": B | A,
    "GET /organization/webhooks": B | A,
    "POST /organization/webhooks": B | A,
    "POST /organization/webhooks/<endpoint_id>/revoke": B,
    "GET /personal-certificates/<number>": ALL,
    "GET /products/<product_id>": PRODUCT_READERS,
    "GET /products/<product_id>/edit": B,
    "POST /products/<product_id>/edit": B,
    "POST /products/<product_id>/evidence": B,
    "GET /products/<product_id>/listing": B,
    "POST /products/<product_id>/listing": B,
    "GET /products/<product_id>/releases": B,
    "POST /products/<product_id>/releases": B,
    "POST /products/<product_id>/releases/<number>/revoke": B,
    "POST /products/<product_id>/sample": B,
    "POST /products/<product_id>/submit": B,
    "GET /products/new": SIGNED,  # the blank form; creating is the broker's (POST)
    "POST /products/new": B,
    "GET /reviews": R,
    "GET /reviews/<review_id>": R,
    "POST /reviews/<review_id>/decision": R,
    "POST /reviews/<review_id>/items/<code>": R,
    "GET /sign-in": ALL,
    "POST /sign-in": OWN_AUTH,
    "POST /sign-out": SIGNED,
    "GET /trading/contracts": TRADERS,
    "GET /trading/contracts/<contract_id>": PARTIES_AND_STAFF,
    "POST /trading/contracts/<contract_id>/consents": U,
    "GET /trading/contracts/<contract_id>/files/<file_id>": U,
    "POST /trading/contracts/<contract_id>/pay": U,
    "POST /trading/contracts/<contract_id>/records": U,
    "POST /trading/contracts/<contract_id>/sign": B | U,
    "GET /trading/listings/<product_id>/request": U,
    "POST /trading/listings/<product_id>/request": U,
    "GET /trading/requests": TRADERS,
    "GET /trading/requests/<request_id>": PARTIES_AND_STAFF,
    "POST /trading/requests/<request_id>/decision": B,
    "POST /trading/requests/<request_id>/resubmit": U,
    "POST /trading/requests/<request_id>/withdraw": U,
    "GET /verify": ALL,
    "POST /webhooks/stripe": OWN_AUTH,
}

# Object routes whose object is not a tenant's: a listing any buyer may ask for, public registers.
NOT_TENANT_OWNED = {"GET /trading/listings/<product_id>/request", "POST /trading/listings/<product_id>/request"}

_ARG = re.compile(r"<(?:(?P<conv>[a-z]+(?:\([^)]*\))?):)?(?P<name>\w+)>")


def _cells(app) -> list[tuple[str, str, str]]:
    """(key, method, rule) for every routed method, any() converters expanded to each of their options."""
    cells = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(SKIPPED):
            continue
        patterns = [rule.rule]
        for match in _ARG.finditer(rule.rule):
            conv = match.group("conv") or ""
            if conv.startswith("any("):
                options = [o.strip() for o in conv[4:-1].split(",")]
                patterns = [p.replace(match.group(0), option) for p in patterns for option in options]
        for pattern in patterns:
            path = _ARG.sub(lambda m: f"<{m.group('name')}>", pattern)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                cells.append((f"{method} {path}", method, rule.rule))
    return sorted(cells)


def _template_app_rules():
    from marketplace.app_factory import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://", "REDIS_URL": None})
    return _cells(app)


CELLS = _template_app_rules()
KEYS = [key for key, _, _ in CELLS]


def test_every_rule_has_an_expectation():
    """A new route must say who may call it; a removed one must leave the table."""
    assert sorted(set(KEYS) - set(EXPECT)) == [], "routes without an expectation"
    assert sorted(set(EXPECT) - set(KEYS)) == [], "expectations for routes that no longer exist"


# --- the world -----------------------------------------------------------------------------------------------


def _build_world(app) -> dict:
    """Real objects in every state the routes act on, built through the services; returns their ids."""
    from marketplace.accounts import services as accounts
    from marketplace.catalog import services as catalog
    from marketplace.notifications.models import Notification
    from marketplace.payments import services as payments
    from marketplace.registration import certificates
    from marketplace.registration import services as registration
    from marketplace.trading import services as trading
    from tests.builders import PASSWORD, World, approved, latest_review, ready_draft, registered, submitted, uscc
    from tests.marketplace.consent.helpers import asked, granted
    from tests.marketplace.delivery.builders import PEOPLE_RELEASE_CSV, active_contract, people_product, release
    from tests.trading_builders import FREE, ONE_OFF, REQUEST

    world = World.build()
    ids: dict = {}
    # An expired certificate first, so that expiring it touches no other certificate.
    old = registered(world.broker_a, world.reviewer, name="过期产品", name_en="Expired product")
    old_cert = certificates.certificates_of(old.id)[0]
    certificates.expire_due_certificates(now=old_cert.valid_to + timedelta(seconds=1))
    ids["expired_certificate"] = old_cert.number

    draft = ready_draft(world.broker_a)
    ids["draft"] = draft.id
    ids["evidence"] = draft.latest.evidence[0].id
    from marketplace.products.scanning import latest_scan

    ids["scan_job"] = latest_scan(draft.latest).id
    review = latest_review(submitted(world.broker_a, name="待审产品", name_en="Under review"))
    ids["review"] = review.id
    ids["item_code"] = next(item.code for item in review.items if item.applicable)
    noticed = approved(world.broker_a, world.reviewer, name="公示产品", name_en="On notice")
    ids["notice_product"] = noticed.id
    ids["notice"] = registration.notice_for_product(noticed.id).id
    ids["objection"] = registration.raise_objection(noticed.id, reason="The source is not lawful.",
                                                    actor=world.buyer_b).id

    people = people_product(world)
    ids["listed"] = people.id
    ids["certificate"] = certificates.certificates_of(people.id)[0].number
    ids["people_offer"] = catalog.get_listing(people.id).offers[0].id
    active = active_contract(world, people)
    ids["contract_active"] = active.id
    published = release(world, people, PEOPLE_RELEASE_CSV)
    ids["release"] = published.number
    ids["file"] = published.files[0].id
    ids["personal_certificate"] = granted(world, active).number
    ids["consent"] = asked(world, active, categories=[*CATEGORIES, "arrears"]).id

    kwh, offers = _kwh(world, catalog, FREE, ONE_OFF)
    ids["kwh"] = kwh.id

    def request(offer):
        return trading.request_access(product_id=kwh.id, offer_id=offer.id, actor=world.buyer, **REQUEST)

    signing = request(offers["One-off"])
    trading.decide_request(signing.id, decision="approve", actor=world.broker_a)
    ids["contract_sign"] = trading.get_request(signing.id, actor=world.buyer).contract.id
    paying = request(offers["One-off"])
    trading.decide_request(paying.id, decision="approve", actor=world.broker_a)
    contract = trading.get_request(paying.id, actor=world.buyer).contract
    for signer in (world.buyer, world.broker_a):
        trading.sign_contract(contract.id, document_hash=contract.document_hash, method="password", actor=signer)
    ids["contract_pay"] = contract.id
    ids["payment"] = payments.start_payment(contract.id, method="offline", actor=world.buyer).id
    withdrawn = request(offers["Free trial"])
    trading.withdraw_request(withdrawn.id, actor=world.buyer)
    ids["request_withdrawn"] = withdrawn.id
    ids["request"] = request(offers["Free trial"]).id

    ids["notification"] = db.session.scalars(select(Notification.id).where(
        Notification.user_id == world.broker_a.id)).first()
    from marketplace.notifications import services as notifications

    ids["endpoint"] = notifications.register_endpoint(url="https://hooks.a.test/x", actor=world.broker_a)[0].id
    ids["org"] = accounts.apply_organization(
        name="申请中", name_en="Applicant", uscc=uscc(8001), kind="buyer", legal_representative="李", address="江门",
        contact_phone="0750-1234567", description="A bank", admin_name="li", admin_email="li@applicant.test",
        admin_password=PASSWORD).id
    ids["token"] = accounts.invite_member(email="new@a.test", role="broker", actor=world.broker_a)[1]
    assert all(value is not None for value in ids.values()), ids
    return ids


def _kwh(world, catalog, *offers):
    from tests.builders import listed

    product = listed(world.broker_a, world.reviewer, offers=list(offers), name="用电指数", name_en="kwh index")
    return product, {offer.name_en: offer for offer in catalog.get_listing(product.id).offers}


def _credentials(app, ids) -> dict:
    """For each role: a bearer header for the API and a signed-in session cookie with its CSRF token for pages."""
    from marketplace.accounts import services as accounts
    from tests.builders import bearer_for

    creds = {}
    client = app.test_client()
    creds["anonymous"] = {"api": {"Accept-Language": "en"}, **_session(client)}
    for role, attr in USERS.items():
        user = accounts.user_by_email(_EMAILS[attr])
        client = app.test_client()
        assert _sign_in(client, user.email).status_code == 302
        creds[role] = {"api": bearer_for(client, user), **_session(client)}
    return creds


_EMAILS = {"broker_a": "broker-a@a.test", "broker_b": "broker-b@b.test", "buyer": "buyer@bank.test",
           "buyer_b": "buyer@bank-b.test", "reviewer": "reviewer@law.test", "admin": "admin@exchange.test",
           "finance": "finance@exchange.test", "subject": "subject@people.test"}


def _session(client) -> dict:
    token = _csrf(client.get("/sign-in").get_data(as_text=True))
    cookie = client.get_cookie("session")
    return {"cookie": cookie.value if cookie else None, "csrf": token}


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("access-matrix")
    with fresh_app(path) as app:
        ids = _build_world(app)
        creds = _credentials(app, ids)
    return path, ids, creds


@pytest.fixture
def copy(template, tmp_path):
    """An app over a fresh copy of the template world."""
    path, ids, creds = template
    for name in ("test.db", "test.db-wal", "test.db-shm"):
        if (path / name).exists():
            shutil.copy(path / name, tmp_path / name)
    if (path / "files").exists():
        shutil.copytree(path / "files", tmp_path / "files")
    with fresh_app(tmp_path) as app:
        yield app, ids, creds


# --- requests ------------------------------------------------------------------------------------------------


def _value(name: str, key: str, ids: dict):
    if name == "product_id":
        if "/notices/" in key:
            return ids["notice_product"]
        if "/trading/listings/" in key:
            return ids["kwh"]
        if "listing" in key or "releases" in key:
            return ids["listed"]
        return ids["draft"]
    if name == "number":
        if "releases" in key:
            return ids["release"]
        if "personal-certificates" in key:
            return ids["personal_certificate"]
        return ids["expired_certificate"] if key.endswith("/renew") else ids["certificate"]
    if name == "contract_id":
        if key.endswith("/sign"):
            return ids["contract_sign"]
        return ids["contract_pay"] if key.endswith(("/pay", "/payments")) else ids["contract_active"]
    if name == "request_id":
        return ids["request_withdrawn"] if key.endswith("/resubmit") else ids["request"]
    return ids[{"org_id": "org", "consent_id": "consent", "file_id": "file", "notification_id": "notification",
                "objection_id": "objection", "payment_id": "payment", "job_id": "scan_job", "review_id": "review",
                "code": "item_code", "evidence_id": "evidence", "notice_id": "notice", "endpoint_id": "endpoint",
                "token": "token"}[name]]


def _url(key: str, ids: dict) -> str:
    path = key.split(" ", 1)[1]
    return re.sub(r"<(\w+)>", lambda m: str(_value(m.group(1), key, ids)), path)


# Routes whose schema runs before the role check: a denied role gets 422 (nothing changes, which is checked).
VALIDATES_FIRST = {
    "POST /api/v1/contracts/<contract_id>/sign", "POST /api/v1/objections/<objection_id>/decision",
    "POST /api/v1/products/<product_id>/evidence", "POST /products/<product_id>/evidence",
    "POST /products/<product_id>/sample", "POST /products/new", "POST /trading/contracts/<contract_id>/records",
    "POST /trading/listings/<product_id>/request", "POST /trading/requests/<request_id>/resubmit",
}
REASON = {"reason": "A reason long enough to pass validation."}
# Minimal valid bodies (and queries), so that the role check, not the schema, decides.
BODIES = {
    "decision": {"decision": "approve"}, "cancel": REASON, "revoke": REASON, "grant": {"notice_hash": "0" * 64},
    "sign": {"document_hash": "0" * 64, "password": PASSWORD}, "objections": REASON,
    "confirm": {"bank_reference": "REF-0001"}, "listing": {"offers": [{"name": "Free", "name_en": "Free",
                                                                       "pricing_mode": "free", "term_months": 12}]},
    "aggregates": {"metric": "count", "purpose": "credit_support"}, "items": {"decision": "pass"},
}
QUERIES = {"files": {"purpose": "credit_support"}, "records": {"purpose": "credit_support", "subject": SUBJECT_ID}}


def _json_body(key: str, ids: dict) -> dict:
    """A minimal valid body where the object to act on is named in it, so that the role check decides."""
    from tests.builders import DRAFT
    from tests.trading_builders import REQUEST

    last = key.rstrip("/").split("/")[-1]
    if last.startswith("<"):
        last = key.split("/")[-2]
    if key.startswith(("POST", "PUT", "PATCH")) and last in BODIES:
        return BODIES[last]

    if key == "POST /api/v1/access-requests":
        return {"product_id": ids["listed"], "offer_id": ids["people_offer"], **REQUEST, "legal_basis": "consent"}
    if key == "POST /api/v1/consent-requests":
        return {"contract_id": ids["contract_active"], "id_number": SUBJECT_ID, "categories": CATEGORIES,
                "retention_days": 30, "purpose_text": "小额信贷审批 / small-loan approval"}
    if key == "POST /api/v1/products":
        return DRAFT
    return {}


def _call(app, key: str, method: str, ids: dict, cred: dict):
    client = app.test_client()
    url = _url(key, ids)
    last = key.split("/")[-1] if not key.endswith(">") else key.split("/")[-2]
    query = QUERIES.get(last, {}) if method == "GET" else {}
    if url.startswith("/api/v1/"):
        kwargs = {"headers": dict(cred["api"]), "query_string": query}
        if method in STATE_CHANGING:
            kwargs["json"] = _json_body(key, ids)
    else:
        if cred["cookie"]:
            client.set_cookie("session", cred["cookie"], domain="localhost")
        kwargs = {"headers": {"Accept": "text/html", "Accept-Language": "en"}}
        if method in STATE_CHANGING:
            kwargs["data"] = {**_json_body(key, ids), "csrf_token": cred["csrf"]}
            kwargs["data"].pop("offers", None)
    response = client.open(url, method=method, **kwargs)
    response.flashed_error = False
    if not url.startswith("/api/") and 300 <= response.status_code < 400:
        with client.session_transaction() as session:
            response.flashed_error = any(category == "error" for category, _ in session.get("_flashes", ()))
    return response


def _fingerprint() -> str:
    """A hash of every row of every table: "changes nothing" means this stays the same."""
    digest = hashlib.sha256()
    db.session.commit()
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(text(f'SELECT * FROM "{table.name}" ORDER BY 1')):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def _outcome(response) -> str:
    status = response.status_code
    if status in (401, 403, 404):
        return "denied"
    # Form posts report a refusal as an error flash and a redirect; "changes nothing" is then checked too.
    if getattr(response, "flashed_error", False):
        return "refused"
    if status in (301, 302, 303) and "/sign-in" in response.headers.get("Location", ""):
        return "denied"
    if status < 400 or status in (400, 409, 422):
        if status == 400 and "CSRF" in response.get_data(as_text=True):
            return f"csrf-refused {status}"
        return "allowed"
    return f"status {status}"


checked: list[int] = []


@pytest.mark.parametrize("key", KEYS)
def test_route_role_matrix(copy, key):
    app, ids, creds = copy
    method = key.split(" ", 1)[0]
    expected = EXPECT[key]
    allowed = ALL if expected == OWN_AUTH else expected
    # Denied roles first, on the untouched world; then the allowed ones.
    order = sorted(ROLES, key=lambda role: role in allowed)
    wrong = []
    for role in order:
        before = _fingerprint()
        response = _call(app, key, method, ids, creds[role])
        outcome = _outcome(response)
        checked.append(1)
        if expected == OWN_AUTH:
            if response.status_code >= 500:
                wrong.append(f"{role}: {response.status_code}")
            continue
        want = "allowed" if role in allowed else "denied"
        if key in VALIDATES_FIRST and want == "denied" and response.status_code == 422:
            outcome = "denied"
        if outcome == "refused":
            outcome = want if want == "denied" else "allowed"
        if outcome != want:
            wrong.append(f"{role}: expected {want}, got {response.status_code}")
        elif want == "denied" and _fingerprint() != before:
            wrong.append(f"{role}: denied ({response.status_code}) but the database changed")
    assert not wrong, f"{key}: " + "; ".join(wrong)


def _idor_cases() -> list[tuple[str, str]]:
    cases = []
    for key in KEYS:
        expected = EXPECT[key]
        if "<" not in key or expected == OWN_AUTH or key in NOT_TENANT_OWNED:
            continue
        for role, intruder in (("broker", "broker_b"), ("buyer", "buyer_b")):
            # Where every signed-in user may act, there is no tenant to cross.
            if role in expected and not expected >= SIGNED:
                cases.append((key, intruder))
    return cases


IDOR = _idor_cases()


@pytest.mark.parametrize(("key", "intruder"), IDOR)
def test_another_tenant_cannot_reach_the_object(copy, key, intruder):
    app, ids, creds = copy
    method = key.split(" ", 1)[0]
    before = _fingerprint()
    response = _call(app, key, method, ids, creds[intruder])
    checked.append(1)
    refused = getattr(response, "flashed_error", False) or (key in VALIDATES_FIRST and response.status_code == 422)
    assert response.status_code in (403, 404) or refused, (key, intruder, response.status_code,
                                                           response.get_data(as_text=True)[:300])
    assert _fingerprint() == before, f"{key}: {intruder} changed the database"


def test_report_the_figure(capsys):
    """Printed for the README (run the whole module for the full figure)."""
    with capsys.disabled():
        print(f"\naccess matrix: {len(KEYS)} route cells x {len(ROLES)} roles = {len(KEYS) * len(ROLES)} checked; "
              f"IDOR sweep: {len(IDOR)} object-route cells; requests made in this run: {len(checked)}")
