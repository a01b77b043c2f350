"""Racing writers on trades: one contract per request, one countersignature, one payment per contract."""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.payments import services as payments
from marketplace.payments.models import Payment
from marketplace.trading import services as trading
from marketplace.trading.models import Contract, Signature
from tests.marketplace.test_concurrency import _race
from tests.trading_builders import ONE_OFF, approved_contract, listed_with, requested


def test_two_brokers_approving_at_once_make_one_contract(app, world):
    product, offers = listed_with(world, ONE_OFF)
    request_id = requested(world, product, offers["One-off"]).id
    brokers = [world.broker_a.id, world.broker_a2.id]
    db.session.commit()

    def approve(i):
        return trading.decide_request(request_id, decision="approve", actor=db.session.get(User, brokers[i])).state

    outcomes = _race(app, 2, approve)
    assert sorted(str(o[0]) for o in outcomes) == ["409", "ok"], outcomes
    assert db.session.scalar(select(func.count()).select_from(Contract)) == 1


def test_both_parties_signing_at_once_get_one_countersignature(app, world):
    product, offers = listed_with(world, ONE_OFF)
    contract = approved_contract(world, product, offers["One-off"])
    contract_id, digest, signers = contract.id, contract.document_hash, [world.buyer.id, world.broker_a.id]
    db.session.commit()

    def sign(i):
        return trading.sign_contract(contract_id, document_hash=digest, method="password",
                                     actor=db.session.get(User, signers[i])).state

    outcomes = _race(app, 2, sign)
    losers = [o for o in outcomes if o[0] != "ok"]
    assert all(o[0] == 409 for o in losers), outcomes
    if losers:  # the loser signs again once it has seen the winner's signature
        late = signers[[i for i, o in enumerate(outcomes) if o[0] != "ok"][0]]
        trading.sign_contract(contract_id, document_hash=digest, method="password", actor=db.session.get(User, late))
    db.session.expire_all()
    assert db.session.get(Contract, contract_id).state == "awaiting_payment"
    assert db.session.scalar(select(func.count()).select_from(Signature).where(Signature.party == "exchange")) == 1


def test_twenty_threads_paying_at_once_make_one_payment(app, world):
    product, offers = listed_with(world, ONE_OFF)
    contract = approved_contract(world, product, offers["One-off"])
    for signer in (world.buyer, world.broker_a):
        trading.sign_contract(contract.id, document_hash=contract.document_hash, method="password", actor=signer)
    contract_id, buyer_id = contract.id, world.buyer.id
    db.session.commit()

    def pay(_i):
        return payments.start_payment(contract_id, method="offline", actor=db.session.get(User, buyer_id)).id

    outcomes = _race(app, 20, pay)
    assert all(o[0] in ("ok", 409) for o in outcomes), outcomes
    assert len({o[1] for o in outcomes if o[0] == "ok"}) == 1
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
