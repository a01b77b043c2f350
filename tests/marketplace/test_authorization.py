"""Two tenants: nobody reads or changes another organisation's draft; reviewers never decide their own."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from marketplace.audit import AuditEntry
from marketplace.extensions import db
from tests.builders import DRAFT, SAMPLE_CSV, bearer_for, latest_review, submitted


def _audit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry))


@pytest.fixture
def product_of_a(world):
    from tests.builders import ready_draft

    return ready_draft(world.broker_a)


def _requests(product_id):
    return [
        ("get", f"/api/v1/products/{product_id}", None),
        ("patch", f"/api/v1/products/{product_id}", {"json": {"description": "hijacked"}}),
        ("put", f"/api/v1/products/{product_id}/sample", {"data": SAMPLE_CSV.encode()}),
        ("post", f"/api/v1/products/{product_id}/evidence",
         {"data": {"item_code": "LEG-01", "file": (io.BytesIO(b"x"), "x.txt")}}),
        ("post", f"/api/v1/products/{product_id}/submit", None),
        ("get", f"/api/v1/products/{product_id}/timeline", None),
    ]


@pytest.mark.parametrize("index", range(6))
@pytest.mark.parametrize("intruder", ["broker_b", "buyer", "subject"])
def test_other_organisations_cannot_touch_a_draft(client, world, product_of_a, intruder, index):
    headers = bearer_for(client, getattr(world, intruder))
    method, url, kwargs = _requests(product_of_a.id)[index]
    before = (_audit_count(), product_of_a.latest.lock_version)
    response = getattr(client, method)(url, headers=headers, **(kwargs or {}))
    assert response.status_code in (403, 404), response.json
    db.session.expire_all()
    assert (_audit_count(), product_of_a.latest.lock_version) == before
    assert product_of_a.latest.description == DRAFT["description"]


def test_a_colleague_in_the_same_organisation_may_edit(client, world, product_of_a):
    response = client.patch(f"/api/v1/products/{product_of_a.id}", json={"description": "better"},
                            headers=bearer_for(client, world.broker_a2))
    assert response.status_code == 200


def test_anonymous_calls_get_401(client, product_of_a):
    response = client.get(f"/api/v1/products/{product_of_a.id}")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_a_token_without_the_scope_is_refused(client, world, product_of_a):
    headers = bearer_for(client, world.broker_a, scopes=["objections"])
    response = client.patch(f"/api/v1/products/{product_of_a.id}", json={"description": "x"}, headers=headers)
    assert response.status_code == 403


def test_reviewer_of_the_providers_own_organisation_gets_403(client, world):
    from marketplace.accounts import services as accounts
    from tests.builders import PASSWORD, uscc

    both = accounts.create_organization(name="Integrated", uscc=uscc(9001), kind="exchange")
    accounts.create_user(email="inhouse-reviewer@x.test", name="r", password=PASSWORD, role="reviewer",
                         org_uscc=both.uscc)
    inhouse = accounts.user_by_email("inhouse-reviewer@x.test")
    product = submitted(world.broker_a)
    review = latest_review(product)
    # An integrated exchange that also provides data: its in-house reviewer's organisation owns the product.
    product.org_id = both.id
    db.session.commit()
    before = _audit_count()
    response = client.put(f"/api/v1/reviews/{review.id}/items/ENT-01", json={"decision": "pass"},
                          headers=bearer_for(client, inhouse))
    assert response.status_code == 403
    assert "own organisation" in response.json["detail"]
    assert _audit_count() == before + 2  # only the client and token issuance were audited


def test_the_submitter_never_approves(world):
    from marketplace import policy

    product = submitted(world.broker_a)
    review = latest_review(product)
    assert policy.can_decide_review(world.reviewer, review)
    assert not policy.can_decide_review(world.broker_a, review)


def test_brokers_cannot_use_the_review_api(client, world):
    product = submitted(world.broker_a)
    review = latest_review(product)
    response = client.post(f"/api/v1/reviews/{review.id}/decision", json={"decision": "approve"},
                           headers=bearer_for(client, world.broker_a))
    assert response.status_code == 403


def test_only_admins_decide_objections(client, world):
    from marketplace.registration import services as registration
    from tests.builders import approved

    product = approved(world.broker_a, world.reviewer)
    objection = registration.raise_objection(product.id, reason="We own this data.", actor=world.broker_b)
    for user in (world.broker_a, world.reviewer, world.buyer):
        response = client.post(f"/api/v1/objections/{objection.id}/decision",
                               json={"decision": "dismiss", "reason": "no"}, headers=bearer_for(client, user))
        assert response.status_code == 403
    response = client.post(f"/api/v1/objections/{objection.id}/decision",
                           json={"decision": "dismiss", "reason": "No evidence of ownership."},
                           headers=bearer_for(client, world.admin))
    assert response.status_code == 200
    db.session.expire_all()
    assert product.latest.state == "public_notice"
