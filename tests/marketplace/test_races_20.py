"""Twenty racing threads on every unique thing: one valid certificate per product version, one contract per
approved request, one fulfilment per payment event. One winner; the rest a clean 409 (or, for a webhook
delivery, 200 with outcome "duplicate": the event is acknowledged, not applied again). Never a 500."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.audit import verify_chain
from marketplace.extensions import db
from marketplace.lifecycle import StateChange
from marketplace.payments.models import Payment, StripeEvent
from marketplace.registration import services as registration
from marketplace.registration.models import Certificate
from marketplace.registration.transparency import LogLeaf, audit_log
from marketplace.trading import services as trading
from marketplace.trading.models import Contract
from tests.builders import approved, bearer_for
from tests.marketplace.payments.test_stripe import card_payment, deliver, event, moves, stripe_app  # noqa: F401
from tests.marketplace.test_concurrency import _race
from tests.trading_builders import ONE_OFF, listed_with, requested

THREADS = 20


def _http_race(app, count, send):
    """send(i, client) in `count` threads, each with its own app context and test client; returns the responses."""
    barrier, responses = threading.Barrier(count), [None] * count

    def run(i):
        with app.app_context():
            client = app.test_client()
            barrier.wait()
            try:
                response = send(i, client)
                responses[i] = (response.status_code, response.get_json(silent=True))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def test_twenty_housekeeping_runs_issue_one_certificate_per_version(app, world):
    products = [approved(world.broker_a, world.reviewer) for _ in range(3)]
    future = products[-1].latest.submitted_at.replace(year=2100)
    db.session.commit()

    outcomes = _race(app, THREADS, lambda i: registration.register_due_products(now=future))
    assert all(status == "ok" for status, _ in outcomes), outcomes  # losers skip the notice; none fails
    issued = [number for _, report in outcomes for number in report["issued"]]
    assert len(issued) == len(set(issued)) == 3, outcomes
    assert sum(bool(report["issued"]) for _, report in outcomes) <= 3
    # Every notice a run found due was either issued by it or skipped (another run had it, or was on it).
    assert sum(report["due"] - report["skipped"] for _, report in outcomes) == 3
    per_version = db.session.execute(select(Certificate.version_id, func.count()).group_by(Certificate.version_id))
    assert sorted(count for _, count in per_version) == [1, 1, 1]
    assert db.session.scalar(select(func.count()).select_from(LogLeaf)) == 3  # one leaf per certificate
    assert audit_log().ok and verify_chain().ok


def test_twenty_approvals_of_one_request_make_one_contract(app, world):
    product, offers = listed_with(world, ONE_OFF)
    request_id = requested(world, product, offers["One-off"]).id
    brokers = [world.broker_a.id, world.broker_a2.id]
    db.session.commit()

    def approve(i):
        return trading.decide_request(request_id, decision="approve", actor=db.session.get(User, brokers[i % 2])).state

    outcomes = _race(app, THREADS, approve)
    assert sorted(str(status) for status, _ in outcomes) == ["409"] * (THREADS - 1) + ["ok"], outcomes
    assert db.session.scalar(select(func.count()).select_from(Contract)) == 1
    assert verify_chain().ok


def test_twenty_approvals_over_the_api_answer_one_200_and_nineteen_409(app, client, world):
    product, offers = listed_with(world, ONE_OFF)
    request_id = requested(world, product, offers["One-off"]).id
    headers = [bearer_for(client, world.broker_a), bearer_for(client, world.broker_a2)]
    db.session.commit()

    responses = _http_race(app, THREADS, lambda i, c: c.post(f"/api/v1/access-requests/{request_id}/decision",
                                                              headers=headers[i % 2], json={"decision": "approve"}))
    statuses = sorted(status for status, _ in responses)
    assert statuses == [200] + [409] * (THREADS - 1), responses
    assert all(body["status"] == 409 and body["detail"] for status, body in responses if status == 409)
    winner = next(body for status, body in responses if status == 200)
    db.session.expire_all()
    assert db.session.scalars(select(Contract.id)).all() == [winner["contract_id"]]
    assert verify_chain().ok


def test_twenty_deliveries_of_one_stripe_event_fulfil_once(stripe_app, card_payment):  # noqa: F811
    body = event("evt_twenty", "payment_intent.succeeded", card_payment)
    payment_id, contract_id = card_payment.id, card_payment.contract_id
    db.session.commit()

    responses = _http_race(stripe_app, THREADS, lambda i, c: deliver(c, body))
    assert all(status == 200 for status, _ in responses), responses
    outcomes = sorted(body["outcome"] for _, body in responses)
    assert outcomes == ["applied"] + ["duplicate"] * (THREADS - 1), outcomes
    db.session.expire_all()
    assert moves(payment_id).count("succeed") == 1
    assert db.session.get(Payment, payment_id).state == "succeeded"
    assert db.session.get(Contract, contract_id).state == "active"
    activations = db.session.scalar(select(func.count()).select_from(StateChange).where(
        StateChange.object_type == "contract", StateChange.object_id == contract_id, StateChange.to_state == "active"))
    assert activations == 1
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 1
    assert verify_chain().ok
