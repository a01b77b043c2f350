"""Racing writers: one winner and a clean conflict for the rest; exactly one certificate per version."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from marketplace.audit import verify_chain
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.registration import services as registration
from marketplace.registration.models import Certificate
from tests.builders import approved, latest_review, pass_all_items, submitted


def _race(app, count, work):
    """Run work(i) in `count` threads, each with its own app context and session; collect outcomes."""
    barrier, outcomes = threading.Barrier(count), [None] * count

    def run(i):
        with app.app_context():
            barrier.wait()
            try:
                outcomes[i] = ("ok", work(i))
            except DomainError as exc:
                outcomes[i] = (exc.status, exc.detail)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_two_reviewers_deciding_at_once_one_wins(app, world):
    product = submitted(world.broker_a)
    review = latest_review(product)
    pass_all_items(review.id, world.reviewer)
    lock = registration.get_review(review.id, actor=world.reviewer).lock_version
    # Plain ids only: the threads must not touch the main session's (expired) objects.
    review_id, reviewers = review.id, [world.reviewer.id, world.exchange_reviewer.id]
    decisions = ["approve", "reject"]
    db.session.commit()

    def decide(i):
        from marketplace.accounts.models import User

        actor = db.session.get(User, reviewers[i])
        return registration.decide_review(review_id, decision=decisions[i], reason="decided", actor=actor,
                                          lock_version=lock).state

    outcomes = _race(app, 2, decide)
    assert sorted(o[0] for o in outcomes if o[0] != "ok") == [409], outcomes
    assert sum(o[0] == "ok" for o in outcomes) == 1
    db.session.expire_all()
    assert product.latest.state in ("public_notice", "rejected")
    assert verify_chain().ok


def test_concurrent_housekeeping_issues_exactly_one_certificate(app, world):
    products = [approved(world.broker_a, world.reviewer) for _ in range(2)]
    future = products[-1].latest.submitted_at.replace(year=2100)
    db.session.commit()

    outcomes = _race(app, 4, lambda i: registration.register_due_products(now=future)["issued"])
    issued = [number for status, numbers in outcomes if status == "ok" for number in numbers]
    assert len(issued) == 2 and len(set(issued)) == 2, outcomes
    per_version = db.session.execute(select(Certificate.version_id, func.count()).group_by(Certificate.version_id))
    assert all(count == 1 for _, count in per_version)
    assert verify_chain().ok
