"""A stateful property test over the whole lifecycle, through the services the API calls.

A Hypothesis state machine registers products (draft → sample → submit), reviews them, moves the clock (notices
end, certificates are issued and expire, requests and contracts and consents expire), lists, requests access,
approves or declines, signs, pays offline, delivers (files, or one person's record under consent) and asks,
grants and withdraws consent. It keeps a model of what should be true, checks every outcome against it, and
after every step checks RELIABILITY.md's invariants on the whole database:

- a listed listing serves a registered version holding a valid certificate;
- a contract exists only for an approved request, at most one per request;
- an active contract is countersigned and (paid, or of amount 0);
- delivery succeeds iff the contract is active and within term (records: and a live, matching consent);
- every certificate has exactly one "issued" leaf and one leaf per status change; the log and the audit chain
  verify;
- every object's state is the last of its StateChange history rows, and each row has its audit entry.

The clock is real time moved by time-machine (frozen between steps), and the housekeeping functions get the same
`now=`; it only moves forward, across examples too, since one database serves the whole test.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import time_machine
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from marketplace import audit
from marketplace.catalog import services as catalog
from marketplace.catalog.models import Listing, Offer
from marketplace.consent import services as consent
from marketplace.consent.models import Consent
from marketplace.delivery import queries as delivery_queries
from marketplace.delivery import services as delivery
from marketplace.delivery.models import Release
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.lifecycle import StateChange
from marketplace.payments import services as payments
from marketplace.payments.models import Payment
from marketplace.products import services as products
from marketplace.products.models import Product, ProductVersion
from marketplace.registration import certificates
from marketplace.registration import services as registration
from marketplace.registration.models import Certificate, Notice, Review
from marketplace.registration.transparency import LogLeaf, audit_log
from marketplace.trading import services as trading
from marketplace.trading.models import AccessRequest, Contract, Signature
from tests.builders import draft, latest_review, pass_all_items, ready_draft
from tests.marketplace.consent.helpers import CATEGORIES, SUBJECT_ID
from tests.marketplace.delivery.builders import KWH_RELEASE_CSV, PEOPLE_RELEASE_CSV
from tests.trading_builders import FREE, ONE_OFF, PEOPLE_PRODUCT, PEOPLE_SAMPLE_CSV, REQUEST

OFFERS = {"free": FREE, "one_off": ONE_OFF}
# Clock moves: an hour, past a notice (72 h), past a request's 45 days, past a contract's 12 months, past a
# certificate's 3 years.
# Weighted so that most examples get past a notice before the far jumps end everything.
CLOCK_STEPS = [timedelta(hours=1)] * 2 + [timedelta(days=4)] * 4 + [timedelta(days=50), timedelta(days=400),
                                                                     timedelta(days=1100)]

# Every lifecycle's objects: where its state lives, and the states an object may have with no history row yet.
STATEFUL = {
    "product_version": (ProductVersion, {"draft"}),
    "review": (Review, {"pending"}),
    "notice": (Notice, {"open"}),
    "certificate": (Certificate, {"valid"}),
    "listing": (Listing, set()),
    "access_request": (AccessRequest, set()),
    "contract": (Contract, set()),
    "payment": (Payment, set()),
    "consent": (Consent, set()),
    "release": (Release, set()),
}


def _ok(call) -> tuple[bool, object]:
    """Run one service call: (True, result) or (False, the domain error). Anything else is a failure."""
    try:
        return True, call()
    except DomainError as exc:
        db.session.rollback()
        return False, exc


def _pi_draft(broker):
    product = draft(broker, **{**PEOPLE_PRODUCT, "delivery_modes": ["api"]})
    products.upload_sample(product.id, data=PEOPLE_SAMPLE_CSV.encode(), filename="people.csv", actor=broker)
    for code, text in (("SRC-02", b"We commit the data is lawfully sourced."),
                       ("PI-03", b"Each resident consents separately through the exchange before any read."),
                       ("PI-05", b"PI protection impact assessment, 2026.")):
        products.add_evidence(product.id, item_code=code, data=text, filename=f"{code}.txt", note="", actor=broker)
    return product


def make_machine(world, clock):
    """The machine class, closed over the test's world and a clock shared by every example."""

    class LifecycleMachine(RuleBasedStateMachine):
        products_ = Bundle("products")
        requests_ = Bundle("requests")
        contracts_ = Bundle("contracts")
        consents_ = Bundle("consents")

        def __init__(self):
            super().__init__()
            clock[0] += timedelta(hours=1)
            self.traveller = time_machine.travel(clock[0], tick=False)
            self.coordinates = self.traveller.start()
            self.buyers = {"bank": world.buyer, "bank_b": world.buyer_b}
            # The model: plain dicts keyed by id.
            self.products: dict[int, dict] = {}
            self.requests: dict[int, dict] = {}
            self.contracts: dict[int, dict] = {}
            self.consents: dict[int, dict] = {}

        def teardown(self):
            self.traveller.stop()
            db.session.rollback()

        @property
        def now(self) -> datetime:
            return clock[0]

        def _pick(self, data, table: dict, predicate) -> int:
            return data.draw(st.sampled_from(sorted(k for k, v in table.items() if predicate(v))))

        @initialize(target=products_)
        def listed_pair(self):
            """Each example starts with a listed product of each kind, brought there by the steps below."""
            ids = [self.register_product(kind) for kind in ("kwh", "people")]
            for product_id in ids:
                self._decide_review(product_id, approve=True)
            self.advance_clock(timedelta(days=4))
            for product_id in ids:
                self._list(product_id)
            return multiple(*ids)

        # -- registration -------------------------------------------------------------------------------------

        @precondition(lambda self: len(self.products) < 4)
        @rule(target=products_, kind=st.sampled_from(["kwh", "people"]))
        def register_product(self, kind):
            """Draft, sample and evidence, then submit (the builders' steps)."""
            product = _pi_draft(world.broker_a) if kind == "people" else ready_draft(world.broker_a)
            self.products[product.id] = {"kind": kind, "state": "draft", "notice_end": None, "valid_to": None,
                                         "listing": None, "offers": {}}
            self.submit(product.id)
            return product.id

        @rule(product_id=products_)
        def submit(self, product_id):
            """Submitting is for drafts only: a second submission is refused."""
            model = self.products[product_id]
            ok, result = _ok(lambda: registration.submit_product(product_id, actor=world.broker_a))
            assert ok == (model["state"] == "draft"), result
            if ok:
                model["state"] = "submitted"

        def _decide_review(self, product_id, approve):
            model = self.products[product_id]
            review = latest_review(db.session.get(Product, product_id))
            decidable = model["state"] in ("submitted", "in_review")
            if approve:
                if decidable:
                    pass_all_items(review.id, world.reviewer)
                ok, result = _ok(lambda: registration.decide_review(review.id, decision="approve",
                                                                      actor=world.reviewer))
            else:
                ok, result = _ok(lambda: registration.decide_review(review.id, decision="reject", reason="unclear",
                                                                      actor=world.reviewer))
            assert ok == decidable, (model["state"], result)
            if ok:
                model["state"] = "public_notice" if approve else "rejected"
                if approve:
                    model["notice_end"] = self.now + timedelta(hours=72)

        @precondition(lambda self: any(p["state"] == "submitted" for p in self.products.values()))
        @rule(data=st.data(), approve=st.sampled_from([True, True, True, False]))
        def review(self, data, approve):
            self._decide_review(self._pick(data, self.products, lambda p: p["state"] == "submitted"), approve)



        # -- the clock ----------------------------------------------------------------------------------------

        @rule(step=st.sampled_from(CLOCK_STEPS))
        def advance_clock(self, step):
            clock[0] += step
            self.coordinates.move_to(clock[0], tick=False)
            now = self.now
            registration.register_due_products(now=now)
            certificates.expire_due_certificates(now=now)
            trading.expire_due(now=now)
            consent.expire_due(now=now)
            for model in self.products.values():
                if model["state"] == "public_notice" and model["notice_end"] <= now:
                    model["state"], model["valid_to"] = "registered", now + timedelta(days=365 * 3)
                if model["state"] == "registered" and model["valid_to"] <= now:
                    model["state"] = "expired"
                    if model["listing"] == "listed":
                        model["listing"] = "suspended"
            for model in self.requests.values():
                if model["state"] == "pending" and model["expires_at"] <= now:
                    model["state"] = "expired"
            for model in self.contracts.values():
                if model["state"] == "active" and model["ends_at"] <= now:
                    model["state"] = "expired"
            for model in self.consents.values():
                contract = self.contracts[model["contract"]]
                if model["state"] in ("requested", "granted") and (
                        model["valid_until"] <= now or contract["state"] in ("expired", "terminated")):
                    model["state"] = "expired"

        # -- catalog ------------------------------------------------------------------------------------------

        def _list(self, product_id):
            model = self.products[product_id]
            ok, result = _ok(lambda: catalog.list_product(product_id, offers=[FREE, ONE_OFF], venue="main",
                                                          actor=world.broker_a))
            # A registered product is listed (or its live listing's offers replaced); nothing else is listable.
            assert ok == (model["state"] == "registered"), (model, result)
            if ok:
                model["listing"] = model["listing"] or "listed"
                listing = catalog.get_listing(product_id)
                model["offers"] = {"free": listing.offers[0].id, "one_off": listing.offers[1].id}
                csv = PEOPLE_RELEASE_CSV if model["kind"] == "people" else KWH_RELEASE_CSV
                delivery.publish_release(product_id, files=[delivery.Upload(filename="data.csv", data=csv.encode())],
                                         notes="machine", actor=world.broker_a)

        @precondition(lambda self: any(p["state"] == "registered" and not p["listing"]
                                       for p in self.products.values()))
        @rule(data=st.data())
        def list_product(self, data):
            self._list(self._pick(data, self.products, lambda p: p["state"] == "registered" and not p["listing"]))


        # -- trading ------------------------------------------------------------------------------------------

        def _request(self, product_id, buyer, offer):
            model = self.products[product_id]
            offer_id = model["offers"].get(offer)
            if offer_id is None:  # never listed: any offer id at all must not open a way in
                offer_id = db.session.scalar(select(func.max(Offer.id))) or 1
            pending = any(r["product"] == product_id and r["buyer"] == buyer and r["state"] == "pending"
                          for r in self.requests.values())
            legal_basis = "consent" if model["kind"] == "people" else "not_personal"
            ok, result = _ok(lambda: trading.request_access(
                product_id=product_id, offer_id=offer_id, actor=self.buyers[buyer],
                **{**REQUEST, "legal_basis": legal_basis}))
            assert ok == (model["listing"] == "listed" and not pending), (model, pending, result)
            if not ok:
                return None
            self.requests[result.id] = {"product": product_id, "buyer": buyer, "offer": offer, "state": "pending",
                                        "expires_at": self.now + timedelta(days=45)}
            return result.id

        @precondition(lambda self: any(p["listing"] == "listed" for p in self.products.values()))
        @rule(target=requests_, data=st.data(), buyer=st.sampled_from(["bank", "bank_b"]),
              offer=st.sampled_from(["free", "one_off"]))
        def request_access(self, data, buyer, offer):
            return self._request(self._pick(data, self.products, lambda p: p["listing"] == "listed"), buyer, offer)


        def _decide(self, request_id, approve):
            if request_id is None:
                return None
            model = self.requests[request_id]
            ok, result = _ok(lambda: trading.decide_request(
                request_id, decision="approve" if approve else "decline", reason="" if approve else "no",
                actor=world.broker_a))
            assert ok == (model["state"] == "pending"), (model, result)
            if not ok:
                return None
            model["state"] = "approved" if approve else "declined"
            if not approve:
                return None
            contract = trading.get_request(request_id, actor=world.broker_a).contract
            self.contracts[contract.id] = {
                "request": request_id, "product": model["product"], "buyer": model["buyer"],
                "amount": contract.amount_minor, "state": "awaiting_signatures", "signed": set(), "ends_at": None,
                "hash": contract.document_hash, "paid": False}
            assert (contract.amount_minor == 0) == (model["offer"] == "free")
            return contract.id

        @precondition(lambda self: any(r["state"] == "pending" for r in self.requests.values()))
        @rule(target=contracts_, data=st.data(), approve=st.sampled_from([True, True, True, False]))
        def decide_request(self, data, approve):
            return self._decide(self._pick(data, self.requests, lambda r: r["state"] == "pending"), approve)


        @precondition(lambda self: any(r["state"] == "pending" for r in self.requests.values()))
        @rule(target=contracts_, data=st.data())
        def agree(self, data):
            """The whole handshake in one step: approve, both sign, pay when something is due."""
            contract_id = self._decide(self._pick(data, self.requests, lambda r: r["state"] == "pending"), True)
            for party in data.draw(st.permutations(["buyer", "provider"])):
                self._sign(contract_id, party)
            if self.contracts[contract_id]["state"] == "awaiting_payment":
                self._pay(contract_id)
            if self._askable(self.contracts[contract_id]):
                consent_id = self._ask(contract_id)
                # Often granted at once, so reads under consent, withdrawal and expiry are reached, not just asking.
                if consent_id is not None and data.draw(st.booleans()):
                    self._answer(consent_id, True)
            return contract_id

        @rule(request_id=requests_)
        def withdraw_request(self, request_id):
            if request_id is None:
                return
            model = self.requests[request_id]
            ok, result = _ok(lambda: trading.withdraw_request(request_id, actor=self.buyers[model["buyer"]]))
            assert ok == (model["state"] == "pending"), (model, result)
            if ok:
                model["state"] = "withdrawn"

        def _activate(self, model):
            model["state"] = "active"
            model["ends_at"] = trading._add_months(self.now, 12)

        def _sign(self, contract_id, party):
            if contract_id is None:
                return
            model = self.contracts[contract_id]
            actor = self.buyers[model["buyer"]] if party == "buyer" else world.broker_a
            ok, result = _ok(lambda: trading.sign_contract(contract_id, document_hash=model["hash"],
                                                           method="password", actor=actor))
            assert ok == (model["state"] == "awaiting_signatures" and party not in model["signed"]), (model, result)
            if ok:
                model["signed"].add(party)
                if model["signed"] == {"buyer", "provider"}:
                    if model["amount"] == 0:
                        self._activate(model)
                    else:
                        model["state"] = "awaiting_payment"

        @precondition(lambda self: any(c["state"] == "awaiting_signatures" for c in self.contracts.values()))
        @rule(data=st.data())
        def sign(self, data):
            """Both parties sign, in either order (the exchange countersigns after the second)."""
            contract_id = self._pick(data, self.contracts, lambda c: c["state"] == "awaiting_signatures")
            unsigned = sorted({"buyer", "provider"} - self.contracts[contract_id]["signed"])
            for party in data.draw(st.permutations(unsigned)):
                self._sign(contract_id, party)


        def _pay(self, contract_id):
            if contract_id is None:
                return
            model = self.contracts[contract_id]
            buyer = self.buyers[model["buyer"]]
            ok, result = _ok(lambda: payments.start_payment(contract_id, method="offline", actor=buyer))
            # Asking again for a paid contract returns its succeeded payment; nothing else is payable.
            assert ok == (model["state"] == "awaiting_payment" or model["paid"]), (model, result)
            if not ok or model["paid"]:
                assert not ok or result.state == "succeeded"
                return
            payment = result
            assert payment.amount_minor == model["amount"]
            ok, result = _ok(lambda: payments.confirm_offline(payment.id, bank_reference="BOC-123",
                                                              actor=world.finance))
            assert ok, result
            # Only exchange finance confirms a transfer: never the buyer, never the provider.
            for actor in (buyer, world.broker_a):
                refused, _ = _ok(lambda: payments.confirm_offline(payment.id, bank_reference="x", actor=actor))
                assert not refused
            model["paid"] = True
            self._activate(model)
            event("paid offline")

        @precondition(lambda self: any(c["state"] == "awaiting_payment" for c in self.contracts.values()))
        @rule(data=st.data())
        def pay(self, data):
            self._pay(self._pick(data, self.contracts, lambda c: c["state"] == "awaiting_payment"))



        # -- delivery -----------------------------------------------------------------------------------------

        def _entitled(self, model) -> bool:
            product = self.products[model["product"]]
            return (model["state"] == "active" and self.now < model["ends_at"]
                    and product["listing"] != "suspended")

        def _live_consent(self, contract_id) -> bool:
            return any(c["contract"] == contract_id and c["state"] == "granted" and c["valid_until"] > self.now
                       for c in self.consents.values())

        @rule(contract_id=contracts_)
        def deliver(self, contract_id):
            if contract_id is None:
                return
            model = self.contracts[contract_id]
            buyer = self.buyers[model["buyer"]]
            purpose = REQUEST["scenario"]
            if self.products[model["product"]]["kind"] == "kwh":
                ok, result = _ok(lambda: delivery.contract_files(contract_id, purpose=purpose, actor=buyer))
                assert ok == self._entitled(model), (model, self.now, result)
                event(f"file delivery {'ok' if ok else 'refused'} ({model['state']})")
                if ok:
                    assert result, "an active contract lists the release published at listing"
                    item = result[-1].files[0]
                    ok, got = _ok(lambda: delivery.download_file(contract_id, item.id, purpose=purpose, actor=buyer))
                    assert ok, got
            else:
                ok, result = _ok(lambda: delivery_queries.get_record(contract_id, subject=SUBJECT_ID, purpose=purpose,
                                                                     fields=None, actor=buyer))
                expected = self._entitled(model) and self._live_consent(contract_id)
                assert ok == expected, (model, self.consents, self.now, result)
                event(f"record delivery {'ok' if ok else 'refused'} ({model['state']})")
                if ok:
                    assert set(result["record"]) == set(CATEGORIES)
            # Another organisation never receives data under this contract.
            other = self.buyers["bank_b" if model["buyer"] == "bank" else "bank"]
            ok, _ = _ok(lambda: delivery.contract_files(contract_id, purpose=purpose, actor=other))
            assert not ok

        # -- consent ------------------------------------------------------------------------------------------

        def _open_consent(self, contract_id) -> bool:
            return any(c["contract"] == contract_id and c["state"] in ("requested", "granted")
                       for c in self.consents.values())

        def _ask(self, contract_id):
            if contract_id is None:
                return None
            model = self.contracts[contract_id]
            buyer = self.buyers[model["buyer"]]
            ok, result = _ok(lambda: consent.request_consent(
                contract_id=contract_id, id_number=SUBJECT_ID, categories=list(CATEGORIES), retention_days=30,
                purpose_text="小额信贷审批 / small-loan approval", actor=buyer))
            expected = (model["state"] == "active" and self.products[model["product"]]["kind"] == "people"
                        and not self._open_consent(contract_id))
            assert ok == expected, (model, result)
            if not ok:
                return None
            self.consents[result.id] = {"contract": contract_id, "state": "requested",
                                        "valid_until": model["ends_at"], "hash": result.notice_hash}
            return result.id

        def _askable(self, c) -> bool:
            return c["state"] == "active" and self.products[c["product"]]["kind"] == "people"

        @precondition(lambda self: any(self._askable(c) for c in self.contracts.values()))
        @rule(target=consents_, data=st.data())
        def request_consent(self, data):
            return self._ask(self._pick(data, self.contracts, self._askable))


        def _answer(self, consent_id, grant):
            if consent_id is None:
                return
            model = self.consents[consent_id]
            if grant:
                ok, result = _ok(lambda: consent.grant(consent_id, notice_hash=model["hash"], actor=world.subject))
                expected = model["state"] == "requested" and model["valid_until"] > self.now
            else:
                ok, result = _ok(lambda: consent.refuse(consent_id, actor=world.subject))
                expected = model["state"] == "requested"
            assert ok == expected, (model, result)
            if ok:
                model["state"] = "granted" if grant else "refused"
                event(f"consent {model['state']}")

        @precondition(lambda self: any(c["state"] == "requested" for c in self.consents.values()))
        @rule(data=st.data(), grant=st.sampled_from([True, True, False]))
        def answer_consent(self, data, grant):
            self._answer(self._pick(data, self.consents, lambda c: c["state"] == "requested"), grant)


        @rule(consent_id=consents_)
        def withdraw_consent(self, consent_id):
            if consent_id is None:
                return
            model = self.consents[consent_id]
            ok, result = _ok(lambda: consent.withdraw(consent_id, actor=world.subject))
            assert ok == (model["state"] == "granted"), (model, result)
            if ok:
                model["state"] = "withdrawn"

        # -- out of order -----------------------------------------------------------------------------------

        @rule(data=st.data(), action=st.sampled_from(["submit", "review", "list", "request", "decide", "sign", "pay",
                                                       "ask", "answer"]))
        def out_of_order(self, data, action):
            """Any step on any object of its kind: it succeeds exactly when the model says it may (business steps
            run only in order: no listing before registration, no request before listing, no second signature …)."""
            def any_of(table):
                return data.draw(st.sampled_from(sorted(table))) if table else None

            if action in ("submit", "review", "list", "request"):
                product_id = any_of(self.products)
                if product_id is None:
                    return
                if action == "submit":
                    self.submit(product_id)
                elif action == "review":
                    self._decide_review(product_id, data.draw(st.booleans()))
                    # Nobody of the product's own organisation decides its review.
                    review = latest_review(db.session.get(Product, product_id))
                    refused, _ = _ok(lambda: registration.decide_review(review.id, decision="approve",
                                                                         actor=world.broker_a2))
                    assert not refused
                elif action == "list":
                    self._list(product_id)
                else:
                    self._request(product_id, data.draw(st.sampled_from(["bank", "bank_b"])),
                                  data.draw(st.sampled_from(["free", "one_off"])))
            elif action == "decide":
                self._decide(any_of(self.requests), data.draw(st.booleans()))
            elif action in ("sign", "pay", "ask"):
                contract_id = any_of(self.contracts)
                if action == "sign":
                    self._sign(contract_id, data.draw(st.sampled_from(["buyer", "provider"])))
                elif action == "pay":
                    self._pay(contract_id)
                else:
                    self._ask(contract_id)
            else:
                self._answer(any_of(self.consents), data.draw(st.booleans()))

        # -- invariants ---------------------------------------------------------------------------------------

        @invariant()
        def model_matches_database(self):
            db.session.rollback()
            for product_id, model in self.products.items():
                version = db.session.get(Product, product_id).latest
                assert version.state == model["state"], (product_id, version.state, model)
                listing = db.session.scalar(select(Listing).where(Listing.product_id == product_id,
                                                                  Listing.state.in_(["listed", "suspended"])))
                assert (listing.state if listing else None) == model["listing"], (product_id, model)
            for request_id, model in self.requests.items():
                assert db.session.get(AccessRequest, request_id).state == model["state"], (request_id, model)
            for contract_id, model in self.contracts.items():
                contract = db.session.get(Contract, contract_id)
                assert contract.state == model["state"], (contract_id, contract.state, model)
                if model["ends_at"] is not None:
                    assert contract.ends_at == model["ends_at"]
            for consent_id, model in self.consents.items():
                assert db.session.get(Consent, consent_id).state == model["state"], (consent_id, model)

        @invariant()
        def listings_serve_certified_versions(self):
            for listing in db.session.scalars(select(Listing).where(Listing.state == "listed")):
                assert listing.version.state == "registered", (listing.id, listing.version.state)
                valid = db.session.scalars(select(Certificate).where(Certificate.version_id == listing.version_id,
                                                                     Certificate.status == "valid")).all()
                assert len(valid) == 1 and valid[0].valid_to > self.now, (listing.id, valid)

        @invariant()
        def contracts_follow_approved_requests(self):
            per_request = Counter(db.session.scalars(select(Contract.request_id)))
            assert all(n == 1 for n in per_request.values()), per_request
            for contract in db.session.scalars(select(Contract)):
                assert contract.request.state == "approved", (contract.id, contract.request.state)
                if contract.state == "active":
                    parties = set(db.session.scalars(select(Signature.party)
                                                      .where(Signature.contract_id == contract.id)))
                    assert parties == {"buyer", "provider", "exchange"}, (contract.id, parties)
                    assert trading.verify_countersignature(contract)
                    paid = db.session.scalar(select(func.count()).select_from(Payment).where(
                        Payment.contract_id == contract.id, Payment.state == "succeeded"))
                    assert contract.amount_minor == 0 or paid == 1, (contract.id, contract.amount_minor, paid)

        @invariant()
        def certificates_logged(self):
            leaves = Counter((leaf.certificate_id, leaf.event == "issued")
                             for leaf in db.session.scalars(select(LogLeaf)))
            changes = Counter(db.session.scalars(select(StateChange.object_id)
                                                 .where(StateChange.object_type == "certificate")))
            for certificate_id in db.session.scalars(select(Certificate.id)):
                assert leaves[(certificate_id, True)] == 1, certificate_id
                assert leaves[(certificate_id, False)] == changes[certificate_id], certificate_id

        @invariant()
        def history_explains_every_state(self):
            rows = db.session.scalars(select(StateChange).order_by(StateChange.id)).all()
            last: dict[tuple[str, int], StateChange] = {}
            for row in rows:
                key = (row.object_type, row.object_id)
                if key in last:
                    assert row.from_state == last[key].to_state, (key, row.action)
                last[key] = row
            for name, (model, initial) in STATEFUL.items():
                for obj in db.session.scalars(select(model)):
                    row = last.get((name, obj.id))
                    if row is None:
                        assert obj.state in initial, (name, obj.id, obj.state)
                    else:
                        assert row.to_state == obj.state, (name, obj.id, row.to_state, obj.state)
            audited = Counter((e.object_type, e.object_id, e.action) for e in db.session.scalars(
                select(audit.AuditEntry)))
            wanted = Counter((r.object_type, r.object_id, f"{r.object_type}.{r.action}") for r in rows)
            assert not (wanted - audited), wanted - audited

        @invariant()
        def log_and_chain_verify(self):
            tree, chain = audit_log(), audit.verify_chain()
            assert tree.ok, tree
            assert chain.ok, chain
            # Both walk in batches and expunge the session: put the world's rows back.
            for value in vars(world).values():
                db.session.add(value)

    return LifecycleMachine


def test_lifecycle_machine(app, world):
    clock = [datetime.now(UTC).replace(microsecond=0)]
    machine = make_machine(world, clock)
    run_state_machine_as_test(machine, settings=settings(
        max_examples=10, stateful_step_count=20, deadline=None, derandomize=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                               HealthCheck.filter_too_much]))
