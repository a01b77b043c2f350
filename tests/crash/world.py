"""The crash harness's work inside the app: build the products the writers aim at, issue certificates (a process
the harness kills along with the server), and verify the database after each crash.

`python -m tests.crash.world certify …` is the certifier process; the rest is called by tests/crash/harness.py.
"""

from __future__ import annotations

import argparse
from collections import Counter

from sqlalchemy import func, select, text

MARKER = "crash "  # the writers put "crash <key>" in the row they create; verify counts rows per key


def setup(*, broker_email: str, reviewer_email: str, buyer_email: str) -> dict:
    """A product in public notice held open by an objection (objections target it) and a product listed with an
    instant free offer (access requests target it), built through the services as the tests' builders do."""
    from marketplace.accounts import services as accounts
    from marketplace.catalog import services as catalog
    from marketplace.registration import services as registration
    from tests.builders import approved
    from tests.trading_builders import INSTANT

    broker, reviewer = accounts.user_by_email(broker_email), accounts.user_by_email(reviewer_email)
    buyer = accounts.user_by_email(buyer_email)
    listed = approved(broker, reviewer, name="listed for the crash writers")
    registration.register_due_products()  # the notice period is 0 hours: it ends at once
    listing = catalog.list_product(listed.id, offers=[INSTANT], venue="main", actor=broker)
    in_notice = approved(broker, reviewer, name="in notice for the crash writers")
    registration.raise_objection(in_notice.id, reason="holds the notice open for the crash writers", actor=buyer)
    return {"notice_product_id": in_notice.id, "listed_product_id": listed.id,
            "offer_id": [offer for offer in listing.offers if offer.active][0].id}


def certify(*, broker_email: str, reviewer_email: str, count: int, tag: str) -> None:
    """Approve products and register those whose (zero-hour) notice ended: each registration issues a certificate,
    appends its log leaf and signs a checkpoint in one transaction. The harness kills this process at random."""
    from marketplace.accounts import services as accounts
    from marketplace.registration import services as registration
    from tests.builders import approved

    broker, reviewer = accounts.user_by_email(broker_email), accounts.user_by_email(reviewer_email)
    for number in range(count):
        approved(broker, reviewer, name=f"certified {tag}-{number}")
        print("approved", flush=True)  # the harness starts its crash timer at the first one
        registration.register_due_products()


def verify(sqlite: bool) -> dict:
    """Every check of RELIABILITY.md's crash target that reads the database; the harness adds the HTTP ones."""
    from marketplace.audit import verify_chain
    from marketplace.extensions import db
    from marketplace.idempotency import IdempotencyKey
    from marketplace.products.models import ProductVersion
    from marketplace.registration.models import Certificate, Objection
    from marketplace.registration.transparency import LogLeaf, audit_log
    from marketplace.trading.models import AccessRequest

    checks: dict = {}
    if sqlite:
        result = [row[0] for row in db.session.execute(text("PRAGMA integrity_check"))]
        checks["integrity"] = {"ok": result == ["ok"], "result": result[:5]}
        keys = [row[0] for row in db.session.execute(text("PRAGMA foreign_key_check"))]
        checks["foreign_keys"] = {"ok": not keys, "violations": len(keys)}
    chain = verify_chain()
    checks["audit_chain"] = {"ok": chain.ok, "entries": chain.entries, "problem": chain.problem}
    tree = audit_log()
    checks["log"] = {"ok": tree.ok, "leaves": tree.leaves, "problem": tree.problem}
    issued = (select(LogLeaf.certificate_id, func.count().label("n")).where(LogLeaf.event == "issued")
              .group_by(LogLeaf.certificate_id).subquery())
    unlogged = db.session.scalar(select(func.count()).select_from(Certificate).outerjoin(
        issued, issued.c.certificate_id == Certificate.id).where(func.coalesce(issued.c.n, 0) != 1))
    orphans = db.session.scalar(select(func.count()).select_from(LogLeaf).outerjoin(
        Certificate, Certificate.id == LogLeaf.certificate_id).where(Certificate.id.is_(None)))
    certificates = db.session.scalar(select(func.count()).select_from(Certificate))
    checks["certificates_vs_leaves"] = {"ok": unlogged == 0 and orphans == 0, "certificates": certificates,
                                        "without_one_issued_leaf": unlogged, "leaves_without_certificate": orphans}
    rows: Counter = Counter()
    for column in (ProductVersion.name, Objection.reason, AccessRequest.purpose):
        rows.update(value.removeprefix(MARKER) for value in db.session.scalars(
            select(column).where(column.like(f"{MARKER}%"))))
    stored_keys = Counter(db.session.scalars(select(IdempotencyKey.key).where(IdempotencyKey.key.like("r%"))))
    db.session.remove()
    return {"checks": checks, "rows": dict(rows), "keys": dict(stored_keys)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["certify"])
    parser.add_argument("--broker", required=True)
    parser.add_argument("--reviewer", required=True)
    parser.add_argument("--count", type=int, default=3)
    parser.add_argument("--tag", default="")
    args = parser.parse_args()
    from marketplace.app_factory import create_app

    with create_app().app_context():
        certify(broker_email=args.broker, reviewer_email=args.reviewer, count=args.count, tag=args.tag)


if __name__ == "__main__":
    main()
