"""A record call reads in the request's read transaction and takes the write lock only to commit its access and
usage lines (delivery/queries.py). Whatever commits in between — a withdrawal, a revoked release, a suspended
listing — is seen by the write transaction's re-check: the call is decided again under the lock, and nothing is
delivered or logged that a call arriving after that change would not deliver."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from marketplace.accounts.models import User
from marketplace.consent import services as consent
from marketplace.consent.models import SubjectAccess
from marketplace.delivery import queries
from marketplace.delivery import services as delivery
from marketplace.delivery.models import UsageRecord
from marketplace.extensions import db
from tests.builders import bearer_for
from tests.fixtures import POSTGRES_URL
from tests.marketplace.consent.helpers import granted
from tests.marketplace.delivery.test_records import _read


@pytest.fixture
def between_read_and_write(app, monkeypatch):
    """Run `change(acting_user)` once, committed by another session, after the call decided and before it writes.
    The change must name the test's objects by id: touching one would open a read transaction on the test's
    session, whose snapshot would then hide what the call commits."""
    calls = []

    def install(change, acting_user_id):
        decide = queries._decide

        def deciding(*args, **kwargs):
            calls.append(kwargs.get("again", False))
            decision = decide(*args, **kwargs)
            if len(calls) == 1:
                with app.app_context():  # its own session and connection, as another request's
                    change(db.session.get(User, acting_user_id))
            return decision

        monkeypatch.setattr(queries, "_decide", deciding)
        return calls

    return install


def _lines():
    return db.session.scalars(select(SubjectAccess)).all(), db.session.scalars(select(UsageRecord)).all()


def test_a_withdrawal_between_the_read_and_the_write_is_refused_and_nothing_is_logged(
        client, world, contract, between_read_and_write):
    given = granted(world, contract)
    headers = bearer_for(client, world.buyer, scopes=["delivery"])
    consent_id = given.id
    calls = between_read_and_write(lambda subject: consent.withdraw(consent_id, actor=subject), world.subject.id)
    response = _read(client, contract, headers)
    assert response.status_code == 403, response.json
    assert "no live consent" in response.json["detail"]
    assert "record" not in response.json and "张三" not in response.get_data(as_text=True)
    assert calls == [False, True]  # decided again inside the write transaction
    assert _lines() == ([], [])
    assert consent.get_consent(consent_id, actor=world.subject).state == "withdrawn"


def test_a_release_revoked_between_the_read_and_the_write_is_not_delivered(
        client, world, product, contract, between_read_and_write):
    granted(world, contract)
    headers = bearer_for(client, world.buyer, scopes=["delivery"])
    product_id = product.id
    between_read_and_write(lambda broker: delivery.revoke_release(product_id, 1, reason="错误数据 / wrong data",
                                                                  actor=broker), world.broker_a.id)
    response = _read(client, contract, headers)
    assert response.status_code == 409 and "No release" in response.json["detail"]
    assert _lines() == ([], [])


def test_a_change_that_leaves_the_call_entitled_is_decided_again_and_logged_once(
        app, client, world, product, contract, between_read_and_write):
    from marketplace.catalog import services as catalog

    given = granted(world, contract)
    headers = bearer_for(client, world.buyer, scopes=["delivery"])
    # One call a minute: deciding again must not count the call twice (that would answer 429).
    app.config["MARKETPLACE_DELIVERY_RATE_PER_MINUTE"] = 1
    product_id = product.id

    def suspend_and_relist(admin):
        catalog.suspend_listing(product_id, reason="核查 / check", actor=admin)
        catalog.relist_listing(product_id, reason="已核查 / checked", actor=admin)

    calls = between_read_and_write(suspend_and_relist, world.admin.id)
    response = _read(client, contract, headers)
    assert response.status_code == 200, response.json
    assert response.json["record"] == {"name": "张三", "paid_months": "11"}
    assert calls == [False, True]
    accesses, usage = _lines()
    assert [(a.consent_id, a.fields) for a in accesses] == [(given.id, ["name", "paid_months"])]
    assert [(u.kind, u.units, u.billable_minor) for u in usage] == [("records", 1, 50)]


@pytest.mark.skipif(bool(POSTGRES_URL), reason="BEGIN IMMEDIATE, SQLite's write lock, is SQLite's")
def test_on_sqlite_the_write_lock_covers_only_the_recheck_and_the_two_lines(client, world, contract):
    granted(world, contract)
    headers = bearer_for(client, world.buyer, scopes=["delivery"])
    db.session.commit()
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = _read(client, contract, headers)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code == 200, response.json
    assert seen.count("BEGIN IMMEDIATE") == 1, seen
    locked = seen[seen.index("BEGIN IMMEDIATE") + 1:]
    reads = seen[:seen.index("BEGIN IMMEDIATE")]
    # Entitlement, release, consent and the person's row were read before the lock, in a plain read transaction.
    assert any("FROM consents WHERE consents.subject_hash" in sql for sql in reads), reads
    assert any("FROM release_rows" in sql for sql in reads), reads
    assert [sql.split(" (")[0] if sql.startswith("INSERT") else sql.split(",")[0] for sql in locked] == [
        "SELECT consents.lock_version", "INSERT INTO subject_accesses", "INSERT INTO usage_records"], locked
