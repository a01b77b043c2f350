"""No N+1: every list page and list endpoint runs as many SQL statements for nine rows as for two.

Each entry of LISTS names a route, who looks at it and a row maker. The test builds a world through the services,
makes two rows the viewer sees, counts the statements of one request (tests/sqlcount.py), makes seven more and
counts again: the two counts must be equal. Row makers vary what each row points at (another organisation,
offer, buyer, signature, state), because rows sharing one related object would hide a per-row query behind
SQLAlchemy's identity map.

Every GET route without path parameters must be in LISTS or in NOT_LISTS with the reason
(test_every_parameterless_get_route_is_covered), so a new page cannot skip this check.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from compliance.identifiers import make_resident_id
from marketplace import httpcache
from marketplace.accounts import services as accounts
from tests.builders import PASSWORD, World, approved, bearer_for, listed, ready_draft, submitted, uscc
from tests.sqlcount import count_request
from tests.trading_builders import FREE, ONE_OFF, REQUEST

FEW, MORE = 2, 9


@dataclass
class Ctx:
    """The world of one test, plus what a row maker keeps between rows (a shared product, a contract…)."""

    world: World
    kept: dict = field(default_factory=dict)

    def keep(self, key: str, make: Callable):
        if key not in self.kept:
            self.kept[key] = make()
        return self.kept[key]


# --- related objects that differ per row ----------------------------------------------------------------------

def _provider(ctx: Ctx, i: int):
    """A broker of an organisation of its own: the i-th provider."""
    org = accounts.create_organization(name=f"供应商{i}", name_en=f"Provider {i}", uscc=uscc(5000 + i),
                                       kind="provider")
    return accounts.create_user(email=f"broker{i}@p{i}.test", name=f"broker{i}", password=PASSWORD, role="broker",
                                org_uscc=org.uscc, is_org_admin=True)


def _bank_buyer(ctx: Ctx, i: int):
    org = accounts.create_organization(name=f"银行{i}", name_en=f"Bank {i}", uscc=uscc(6000 + i), kind="buyer")
    return accounts.create_user(email=f"buyer{i}@bank{i}.test", name=f"buyer{i}", password=PASSWORD, role="buyer",
                                org_uscc=org.uscc)


def _subject(i: int):
    return accounts.create_user(email=f"person{i}@people.test", name=f"person{i}", password=PASSWORD,
                                role="subject", id_number=make_resident_id(f"44070319850203{i:03d}"))


SECTORS = ("energy", "finance", "transport")


def _offers(i: int) -> list[dict]:
    # Two offers per listing, one of them priced differently per row.
    return [FREE, {**ONE_OFF, "name": f"一次性{i}", "name_en": f"One-off {i}", "price_minor": 100_000 + i}]


def _listed_by_provider(ctx: Ctx, i: int, offers=None, **overrides):
    broker = _provider(ctx, i)
    return listed(broker, ctx.world.reviewer, offers=offers or _offers(i), name=f"数据产品{i}",
                  name_en=f"Data product {i}", sector=SECTORS[i % len(SECTORS)], **overrides), broker


def _offer(product, name_en_prefix: str):
    from marketplace.catalog import services as catalog

    return next(o for o in catalog.get_listing(product.id).offers if o.name_en.startswith(name_en_prefix))


# --- row makers: make the i-th row the viewer sees --------------------------------------------------------------

def listed_product(ctx: Ctx, i: int) -> None:
    """A product listed in the catalog by a provider of its own, in one of three sectors."""
    _listed_by_provider(ctx, i)


def product_on_notice(ctx: Ctx, i: int) -> None:
    approved(_provider(ctx, i), ctx.world.reviewer, name=f"公示{i}", name_en=f"On notice {i}")


def open_objection(ctx: Ctx, i: int) -> None:
    """An objection by a user of another bank against another provider's product on notice."""
    from marketplace.registration import services as registration

    product = approved(_provider(ctx, i), ctx.world.reviewer, name=f"异议{i}", name_en=f"Objected {i}")
    registration.raise_objection(product.id, reason=f"The source of product {i} is not lawful.",
                                 actor=_bank_buyer(ctx, i))


def applied_organisation(ctx: Ctx, i: int) -> None:
    accounts.apply_organization(
        name=f"申请{i}", name_en=f"Applicant {i}", uscc=uscc(7000 + i), kind=("buyer", "provider")[i % 2],
        legal_representative="李", address="江门", contact_phone="0750-1234567", description="An applicant",
        admin_name=f"li{i}", admin_email=f"li{i}@applicant{i}.test", admin_password=PASSWORD)


def admin_work(ctx: Ctx, i: int) -> None:
    """What the admin's dashboard lists: an applying organisation and an open objection."""
    applied_organisation(ctx, i)
    open_objection(ctx, i)


def pending_review(ctx: Ctx, i: int) -> None:
    submitted(_provider(ctx, i), name=f"待审{i}", name_en=f"Under review {i}")


def own_product(ctx: Ctx, i: int) -> None:
    """Broker A's products, alternately a draft and a listed product (the first two rows show both)."""
    world = ctx.world
    if i % 2:
        listed(world.broker_a, world.reviewer, offers=_offers(i), name=f"上架{i}", name_en=f"Listed {i}")
    else:
        ready_draft(world.broker_a, name=f"草稿{i}", name_en=f"Draft {i}")


def _request(product, offer, buyer):
    from marketplace.trading import services as trading

    return trading.request_access(product_id=product.id, offer_id=offer.id, actor=buyer, **REQUEST)


def _sign(contract, *signers):
    from marketplace.trading import services as trading

    for signer in signers:
        trading.sign_contract(contract.id, document_hash=contract.document_hash, method="password", actor=signer)


def buyers_trade(ctx: Ctx, i: int) -> None:
    """The buyer's request for another provider's product; every other one approved and signed by the buyer."""
    from marketplace.trading import services as trading

    world = ctx.world
    product, broker = _listed_by_provider(ctx, i)
    request = _request(product, _offer(product, "One-off"), world.buyer)
    if i % 2:
        return
    trading.decide_request(request.id, decision="approve", actor=broker)
    contract = trading.get_request(request.id, actor=world.buyer).contract
    _sign(contract, world.buyer)


def brokers_trade(ctx: Ctx, i: int) -> None:
    """Another bank's request for broker A's product, each under another offer; every other one becomes a
    contract signed by both sides (the broker's inbox fills with their notifications)."""
    from marketplace.trading import services as trading

    world = ctx.world
    product = ctx.keep("product", lambda: listed(
        world.broker_a, world.reviewer, name="多方案", name_en="Many offers",
        offers=[{**ONE_OFF, "name": f"方案{n}", "name_en": f"Plan {n}", "price_minor": 10_000 + n}
                for n in range(10)]))
    buyer = _bank_buyer(ctx, i)
    request = _request(product, _offer(product, f"Plan {i}"), buyer)
    if i % 2:
        return
    trading.decide_request(request.id, decision="approve", actor=world.broker_a)
    contract = trading.get_request(request.id, actor=buyer).contract
    _sign(contract, buyer, world.broker_a)


def offline_payment(ctx: Ctx, i: int) -> None:
    """A bank transfer awaiting finance's confirmation: another bank paying another provider."""
    from marketplace.payments import services as payments
    from marketplace.trading import services as trading

    product, broker = _listed_by_provider(ctx, i)
    buyer = _bank_buyer(ctx, i)
    request = _request(product, _offer(product, "One-off"), buyer)
    trading.decide_request(request.id, decision="approve", actor=broker)
    contract = trading.get_request(request.id, actor=buyer).contract
    _sign(contract, buyer, broker)
    payments.start_payment(contract.id, method="offline", actor=buyer)


def _people_product(ctx: Ctx):
    from tests.marketplace.delivery.builders import people_product

    return ctx.keep("people", lambda: people_product(ctx.world))


def subjects_consent(ctx: Ctx, i: int) -> None:
    """A consent asked of the subject by another bank under its own contract; every other one granted."""
    from marketplace.consent import services as consent
    from tests.marketplace.consent.helpers import CATEGORIES, SUBJECT_ID
    from tests.marketplace.delivery.builders import active_contract

    world = ctx.world
    buyer = _bank_buyer(ctx, i)
    contract = active_contract(world, _people_product(ctx), buyer=buyer)
    asked = consent.request_consent(contract_id=contract.id, id_number=SUBJECT_ID, categories=CATEGORIES,
                                    retention_days=30, purpose_text=f"小额信贷 {i}", actor=buyer)
    if not i % 2:
        consent.grant(asked.id, notice_hash=asked.notice_hash, actor=world.subject)


def _bank_contract(ctx: Ctx):
    from tests.marketplace.delivery.builders import active_contract

    return ctx.keep("contract", lambda: active_contract(ctx.world, _people_product(ctx)))


def contract_consent(ctx: Ctx, i: int) -> None:
    """A consent the buyer asked of another person under one contract; every other one granted."""
    from marketplace.consent import services as consent
    from tests.marketplace.consent.helpers import CATEGORIES

    contract = _bank_contract(ctx)
    person = _subject(i)
    asked = consent.request_consent(contract_id=contract.id, id_number=make_resident_id(f"44070319850203{i:03d}"),
                                    categories=CATEGORIES, retention_days=30, actor=ctx.world.buyer)
    if not i % 2:
        consent.grant(asked.id, notice_hash=asked.notice_hash, actor=person)


def release(ctx: Ctx, i: int) -> None:
    """A release of broker A's personal-data product with one file or two, under the buyer's active contract."""
    from marketplace.delivery import services as delivery
    from tests.marketplace.delivery.builders import PEOPLE_RELEASE_CSV

    _bank_contract(ctx)
    files = [delivery.Upload(filename=f"r{i}-{n}.csv", data=PEOPLE_RELEASE_CSV.encode()) for n in range(1 + i % 2)]
    delivery.publish_release(_people_product(ctx).id, files=files, notes=f"release {i}", actor=ctx.world.broker_a)


def offer(ctx: Ctx, i: int) -> None:
    """One more offer on one listing (the broker lists it again with offers 0..i)."""
    from marketplace.catalog import services as catalog

    world = ctx.world
    product = ctx.keep("product", lambda: listed(world.broker_a, world.reviewer, offers=[FREE], name="方案多",
                                                 name_en="Offers"))
    offers = [{**ONE_OFF, "name": f"方案{n}", "name_en": f"Plan {n}", "price_minor": 10_000 + n}
              for n in range(i + 1)]
    catalog.list_product(product.id, offers=offers, venue="main", actor=world.broker_a)


def member(ctx: Ctx, i: int) -> None:
    """An invitation to provider A; every other one accepted (a member)."""
    email = f"member{i}@a.test"
    _invitation, token = accounts.invite_member(email=email, role="broker", actor=ctx.world.broker_a)
    if not i % 2:
        accounts.accept_invitation(token, name=f"member{i}", password=PASSWORD)


def webhook(ctx: Ctx, i: int) -> None:
    """A webhook endpoint of provider A; every other one revoked (an organisation keeps five active at most)."""
    from marketplace.notifications import services as notifications

    endpoint, _secret = notifications.register_endpoint(url=f"https://hooks{i}.a.test/x", actor=ctx.world.broker_a)
    if i % 2:
        notifications.revoke_endpoint(endpoint.id, actor=ctx.world.broker_a)


# --- the table ------------------------------------------------------------------------------------------------

def _people_id(ctx: Ctx) -> int:
    return _people_product(ctx).id


def _contract_id(ctx: Ctx) -> int:
    return _bank_contract(ctx).id


# (path, or a function of the context giving it; viewer: an attribute of World or "anonymous"; row maker)
Path = str | Callable[[Ctx], str]
LISTS: list[tuple[str, Path, str, Callable]] = [
    ("GET /", "/", "anonymous", listed_product),
    ("GET /api/v1/listings", "/api/v1/listings", "anonymous", listed_product),
    ("GET /catalog.jsonld", "/catalog.jsonld", "anonymous", listed_product),
    ("GET /listings/<product_id>", lambda c: f"/listings/{c.kept['product'].id}", "anonymous", offer),
    ("GET /api/v1/listings/<product_id>", lambda c: f"/api/v1/listings/{c.kept['product'].id}", "anonymous", offer),
    ("GET /notices", "/notices", "anonymous", product_on_notice),
    ("GET /api/v1/notices", "/api/v1/notices", "anonymous", product_on_notice),
    ("GET /admin/objections", "/admin/objections", "admin", open_objection),
    ("GET /admin/organizations", "/admin/organizations", "admin", applied_organisation),
    ("GET /dashboard", "/dashboard", "admin", admin_work),
    ("GET /reviews", "/reviews", "reviewer", pending_review),
    ("GET /api/v1/reviews", "/api/v1/reviews", "reviewer", pending_review),
    ("GET /dashboard", "/dashboard", "reviewer", pending_review),
    ("GET /my/products", "/my/products", "broker_a", own_product),
    ("GET /api/v1/products", "/api/v1/products", "broker_a", own_product),
    ("GET /dashboard", "/dashboard", "broker_a", own_product),
    ("GET /trading/requests", "/trading/requests", "buyer", buyers_trade),
    ("GET /api/v1/access-requests", "/api/v1/access-requests", "buyer", buyers_trade),
    ("GET /trading/contracts", "/trading/contracts", "buyer", buyers_trade),
    ("GET /api/v1/contracts", "/api/v1/contracts", "buyer", buyers_trade),
    ("GET /dashboard", "/dashboard", "buyer", buyers_trade),
    ("GET /trading/requests", "/trading/requests", "broker_a", brokers_trade),
    ("GET /api/v1/access-requests", "/api/v1/access-requests", "broker_a", brokers_trade),
    ("GET /trading/contracts", "/trading/contracts", "broker_a", brokers_trade),
    ("GET /api/v1/contracts", "/api/v1/contracts", "broker_a", brokers_trade),
    ("GET /inbox", "/inbox", "broker_a", brokers_trade),
    ("GET /api/v1/notifications", "/api/v1/notifications", "broker_a", brokers_trade),
    ("GET /dashboard", "/dashboard", "broker_a", brokers_trade),
    ("GET /finance/settlements", "/finance/settlements", "finance", offline_payment),
    ("GET /dashboard", "/dashboard", "finance", offline_payment),
    ("GET /my/data", "/my/data", "subject", subjects_consent),
    ("GET /api/v1/consents", "/api/v1/consents", "subject", subjects_consent),
    ("GET /trading/contracts/<contract_id>", lambda c: f"/trading/contracts/{_contract_id(c)}", "buyer",
     contract_consent),
    ("GET /products/<product_id>/releases", lambda c: f"/products/{_people_id(c)}/releases", "broker_a", release),
    ("GET /api/v1/products/<product_id>/releases", lambda c: f"/api/v1/products/{_people_id(c)}/releases",
     "broker_a", release),
    ("GET /products/<product_id>", lambda c: f"/products/{_people_id(c)}", "broker_a", release),
    ("GET /api/v1/contracts/<contract_id>/files",
     lambda c: f"/api/v1/contracts/{_contract_id(c)}/files?purpose={REQUEST['scenario']}", "buyer", release),
    ("GET /trading/contracts/<contract_id>", lambda c: f"/trading/contracts/{_contract_id(c)}", "buyer", release),
    ("GET /organization", "/organization", "broker_a", member),
    ("GET /organization/webhooks", "/organization/webhooks", "broker_a", webhook),
]

# GET routes without path parameters that list nothing that grows with the data, and why.
NOT_LISTS = {
    "GET /.well-known/exchange-keys.json": "the exchange's signing keys: a handful, in one query",
    "GET /account/clients": "a form; the secret of a new client is shown once, no list of clients",
    "GET /api/docs": "the interactive API documentation, static",
    "GET /api/v1/openapi.json": "the OpenAPI document, built from the schemas",
    "GET /api/v1/log/checkpoint": "one row: the latest signed checkpoint",
    "GET /api/v1/log/consistency": "one proof between two tree sizes: its O(log n) nodes in one query",
    "GET /api/v1/me": "the signed-in user",
    "GET /join": "a form",
    "GET /sign-in": "a form",
    "GET /products/new": "a form",
    "GET /verify": "one certificate, looked up by its number",
}


def _get_rules() -> list[str]:
    from marketplace.app_factory import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://", "REDIS_URL": None})
    keys = set()
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.rule.startswith(("/static/", "/api/docs/static/")):
            keys.add("GET " + re.sub(r"<(?:[^:>]+:)?(\w+)>", r"<\1>", rule.rule))
    return sorted(keys)


def test_every_parameterless_get_route_is_covered():
    """A new page or endpoint without path parameters is a list here, or says why it is not."""
    rules = _get_rules()
    listed_keys = {key for key, *_ in LISTS}
    missing = [key for key in rules if "<" not in key and key not in listed_keys and key not in NOT_LISTS]
    assert missing == [], "GET routes neither in LISTS nor in NOT_LISTS (with the reason)"
    stale = sorted((listed_keys | set(NOT_LISTS)) - set(rules))
    assert stale == [], "entries for routes that no longer exist"
    assert not listed_keys & set(NOT_LISTS), "a route is both a list and not one"


# --- counting -------------------------------------------------------------------------------------------------

def _viewer_client(app, ctx: Ctx, viewer: str, api: bool):
    from tests.marketplace.test_web import _sign_in

    client = app.test_client()
    if viewer == "anonymous":
        return client, {"Accept-Language": "en"}
    user = getattr(ctx.world, viewer)
    if api:
        return client, bearer_for(client, user)
    assert _sign_in(client, user.email).status_code == 302
    return client, {"Accept": "text/html", "Accept-Language": "en"}


def _count(client, headers, url: str):
    # The first request warms what a process caches once (signing keys, translations, compiled templates).
    client.get(url, headers=headers)
    # The catalog's anonymous reads would then be answered from their server-side copy (httpcache.py), with its
    # stamp remembered for a second: what is counted here is the work of computing the page, stamp read included.
    httpcache.forget()
    response, statements = count_request(client, "GET", url, headers=headers)
    assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:500])
    return statements


MAKERS = list(dict.fromkeys(maker for *_, maker in LISTS))


@pytest.mark.parametrize("maker", MAKERS, ids=[m.__name__ for m in MAKERS])
def test_statement_count_does_not_grow_with_the_rows(app, maker):
    ctx = Ctx(world=World.build())
    entries = [(key, path, viewer) for key, path, viewer, m in LISTS if m is maker]
    for i in range(FEW):
        maker(ctx, i)
    clients = {}
    few = {}
    for key, path, viewer in entries:
        url = path(ctx) if callable(path) else path
        api = url.startswith("/api/")
        clients[(viewer, api)] = clients.get((viewer, api)) or _viewer_client(app, ctx, viewer, api)
        few[(key, viewer)] = (url, _count(*clients[(viewer, api)], url))
    for i in range(FEW, MORE):
        maker(ctx, i)
    grown = []
    for key, _path, viewer in entries:
        url, before = few[(key, viewer)]
        after = _count(*clients[(viewer, url.startswith("/api/"))], url)
        report.append((maker.__name__, key, viewer, before.count, after.count))
        if after.count != before.count:
            grown.append(f"{key} as {viewer}: {before.count} statements for {FEW} rows, {after.count} for {MORE}"
                         f"\n--- {MORE} rows:\n{after.summary()}")
    assert not grown, "\n\n".join(grown)


report: list[tuple] = []


def test_report_the_counts(capsys):
    """Printed for the README: the statements per request of every list (run the module for all of them)."""
    with capsys.disabled():
        for maker, key, viewer, few, more in report:
            print(f"\n{key:45s} {viewer:10s} {maker:22s} {FEW} rows: {few:3d}  {MORE} rows: {more:3d}", end="")
        print()
