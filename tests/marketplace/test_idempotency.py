"""Idempotency-Key on API writes: replay, mismatch, per-user scope, in-flight duplicates, racing duplicates."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import func, select

from marketplace.audit import verify_chain
from marketplace.extensions import db
from marketplace.idempotency import IdempotencyKey
from marketplace.products import services as products
from marketplace.products.models import ProductVersion
from marketplace.registration.models import Objection
from marketplace.trading.models import AccessRequest
from tests.builders import DRAFT, approved, bearer_for
from tests.trading_builders import INSTANT, REQUEST, listed_with


def _versions_named(name: str) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(ProductVersion).where(ProductVersion.name == name))


def _post(client, headers, key, body, path="/api/v1/products"):
    return client.post(path, json=body, headers={**headers, "Idempotency-Key": key})


def test_a_replay_returns_the_first_response_and_writes_nothing(client, world):
    broker = bearer_for(client, world.broker_a)
    body = {**DRAFT, "name": "replayed draft"}
    first = _post(client, broker, "key-1", body)
    again = _post(client, broker, "key-1", dict(reversed(list(body.items()))))  # key order does not count
    assert first.status_code == again.status_code == 201, first.get_data(as_text=True)
    assert again.get_data() == first.get_data()
    assert "Idempotent-Replayed" not in first.headers and again.headers["Idempotent-Replayed"] == "true"
    assert first.json["latest"]["name"] == "replayed draft"
    assert _versions_named("replayed draft") == 1
    assert verify_chain().ok


def test_the_same_key_with_another_body_or_endpoint_is_refused(client, world):
    broker = bearer_for(client, world.broker_a)
    assert _post(client, broker, "key-2", {**DRAFT, "name": "one"}).status_code == 201
    other_body = _post(client, broker, "key-2", {**DRAFT, "name": "two"})
    assert other_body.status_code == 422 and "Idempotency-Key" in other_body.json["errors"]
    product_id = db.session.scalar(select(ProductVersion.product_id).where(ProductVersion.name == "one"))
    other_path = _post(client, broker, "key-2", {"reason": "x"}, path=f"/api/v1/notices/{product_id}/objections")
    assert other_path.status_code == 422
    assert _versions_named("two") == 0


def test_keys_belong_to_the_user_and_requests_without_a_key_are_unchanged(client, world):
    broker_a, broker_b = bearer_for(client, world.broker_a), bearer_for(client, world.broker_b)
    body = {**DRAFT, "name": "per user"}
    assert _post(client, broker_a, "shared", body).status_code == 201
    second = _post(client, broker_b, "shared", body)
    assert second.status_code == 201 and "Idempotent-Replayed" not in second.headers
    for _ in range(2):
        assert client.post("/api/v1/products", json=body, headers=broker_a).status_code == 201
    assert _versions_named("per user") == 4
    assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "ключ"])
def test_a_malformed_key_is_refused(client, world, key):
    response = client.post("/api/v1/products", json=DRAFT,
                           headers={**bearer_for(client, world.broker_a), "Idempotency-Key": key.encode().decode(
                               "latin-1")})
    assert response.status_code == 422
    assert _versions_named(DRAFT["name"]) == 0


def test_a_refused_write_stores_no_key_and_may_be_retried(client, world):
    broker = bearer_for(client, world.broker_a)
    world.broker_a.organization.state = "suspended"
    db.session.commit()
    assert _post(client, broker, "key-3", {**DRAFT, "name": "later"}).status_code in (401, 403)
    world.broker_a.organization.state = "approved"
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0
    assert _post(client, broker, "key-3", {**DRAFT, "name": "later"}).status_code == 201


def test_objections_and_access_requests_are_replayed(client, world):
    product, offers = listed_with(world, INSTANT)
    in_notice = approved(world.broker_b, world.reviewer)  # after listing, whose registration run would end it
    buyer = bearer_for(client, world.buyer)
    db.session.commit()
    objection = {"reason": "objection once"}
    path = f"/api/v1/notices/{in_notice.id}/objections"
    first, again = (_post(client, buyer, "objection-key", objection, path=path) for _ in range(2))
    assert first.status_code == again.status_code == 201 and again.get_data() == first.get_data()
    access = {**REQUEST, "product_id": product.id, "offer_id": offers["Instant free"].id, "purpose": "once"}
    first, again = (_post(client, buyer, "request-key", access, path="/api/v1/access-requests") for _ in range(2))
    assert first.status_code == again.status_code == 201, first.get_data(as_text=True)
    assert again.headers["Idempotent-Replayed"] == "true" and again.json == first.json
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Objection)) == 1
    assert db.session.scalar(select(func.count()).select_from(AccessRequest)
                             .where(AccessRequest.purpose == "once")) == 1


def test_a_duplicate_sent_while_the_first_is_in_flight_gets_409(app, client, world, monkeypatch):
    """The second request looked the key up before the first committed: its own commit is refused."""
    broker = bearer_for(client, world.broker_a)
    body = {**DRAFT, "name": "in flight"}
    real, seen = products.create_product, []

    def create_after_the_other_commits(**kwargs):
        if not seen:
            # This request already found no stored key; the duplicate now runs to its commit in between.
            seen.append(None)
            thread = threading.Thread(target=lambda: seen.append(_in_context(app, broker, body)))
            thread.start()
            thread.join()
        return real(**kwargs)

    monkeypatch.setattr(products, "create_product", create_after_the_other_commits)
    late = _post(client, broker, "key-4", body)
    assert seen[1] == 201
    assert late.status_code == 409 and "Idempotency-Key" in late.json["errors"]
    assert _versions_named("in flight") == 1
    retried = _post(client, broker, "key-4", body)
    assert retried.status_code == 201 and retried.headers["Idempotent-Replayed"] == "true"
    assert verify_chain().ok


def _in_context(app, headers, body, key="key-4"):
    with app.app_context():
        try:
            return app.test_client().post("/api/v1/products", json=body,
                                          headers={**headers, "Idempotency-Key": key}).status_code
        finally:
            db.session.remove()


def test_racing_duplicates_write_once(app, client, world):
    broker = bearer_for(client, world.broker_a)
    db.session.commit()
    key, body, count = str(uuid.uuid4()), {**DRAFT, "name": "raced"}, 8
    barrier, outcomes = threading.Barrier(count), []

    def send():
        with app.app_context():
            barrier.wait()
            try:
                response = app.test_client().post("/api/v1/products", json=body,
                                                  headers={**broker, "Idempotency-Key": key})
                outcomes.append((response.status_code, response.headers.get("Idempotent-Replayed"),
                                 response.get_data()))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=send) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == count
    assert {status for status, _, _ in outcomes} <= {201, 409}, outcomes
    assert sum(status == 201 and not replayed for status, replayed, _ in outcomes) == 1
    assert len({data for status, _, data in outcomes if status == 201}) == 1
    assert _versions_named("raced") == 1
    assert verify_chain().ok
