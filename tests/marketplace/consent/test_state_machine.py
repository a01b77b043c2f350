"""A Hypothesis state machine over request / grant / refuse / withdraw / clock / expire / access: whatever the order,
a read is allowed if and only if a live consent matches it (same person, same bank and contract, every category,
within validity), as a plain model of the expected consents says.

Reads go through `services.live_consent`, which the records endpoint asks on every call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import delete

from marketplace.consent import services
from marketplace.consent.models import Consent, SubjectAccess
from marketplace.errors import Conflict, InvalidTransition
from marketplace.extensions import db
from marketplace.types import utcnow
from tests.marketplace.consent.helpers import SUBJECT_ID
from tests.trading_builders import personal_data_contract

FIELDS = ("name", "id_number", "paid_months", "arrears")
categories = st.sets(st.sampled_from(FIELDS), min_size=1, max_size=3).map(sorted)


@dataclass
class Expected:
    id: int
    contract: int  # index into the machine's contracts
    categories: frozenset
    valid_until: datetime
    state: str = "requested"


def test_access_iff_a_live_matching_consent(app, world):
    # Two banks, each with its own contract for the same personal-data product kind; one person.
    contracts = [personal_data_contract(world), personal_data_contract(world, buyer=world.buyer_b)]
    buyers = [world.buyer, world.buyer_b]
    contract_ids = [c.id for c in contracts]

    class ConsentMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            db.session.rollback()
            db.session.execute(delete(SubjectAccess))
            db.session.execute(delete(Consent))
            db.session.commit()
            self.clock = utcnow()
            self.consents: list[Expected] = []

        @initialize(which=st.integers(0, 1), wanted=categories)
        def start_granted(self, which, wanted):
            """Every example starts with one consent in force, so the steps that matter come early."""
            self.request(which, wanted)
            self.decide_one(self.consents[-1], "grant")

        def _contract(self, index):
            return db.session.get(type(contracts[0]), contract_ids[index])

        @rule(which=st.integers(0, 1), wanted=categories)
        def request(self, which, wanted):
            same = [c for c in self.consents if c.contract == which]
            blocked = any(c.state == "requested" for c in same) or any(
                c.state == "granted" and set(wanted) <= c.categories for c in same)
            try:
                consent = services.request_consent(contract_id=contract_ids[which], id_number=SUBJECT_ID,
                                                   categories=wanted, retention_days=30, actor=buyers[which])
            except Conflict:
                assert blocked
                return
            assert not blocked
            self.consents.append(Expected(consent.id, which, frozenset(wanted), consent.valid_until))

        @precondition(lambda self: self.consents)
        @rule(data=st.data(), action=st.sampled_from(["grant", "refuse", "withdraw"]))
        def decide(self, data, action):
            self.decide_one(data.draw(st.sampled_from(self.consents)), action)

        def decide_one(self, expected, action):
            allowed = {"grant": "requested", "refuse": "requested", "withdraw": "granted"}[action]
            try:
                if action == "grant":
                    consent = services.get_consent(expected.id, actor=world.subject)
                    services.grant(expected.id, notice_hash=consent.notice_hash, actor=world.subject)
                else:
                    getattr(services, action)(expected.id, actor=world.subject)
            except (InvalidTransition, Conflict):
                assert expected.state != allowed
                return
            assert expected.state == allowed
            expected.state = {"grant": "granted", "refuse": "refused", "withdraw": "withdrawn"}[action]

        @rule(days=st.sampled_from([1, 90, 400]))
        def advance_clock(self, days):
            self.clock += timedelta(days=days)

        @rule()
        def expire(self):
            services.expire_due(now=self.clock)
            for expected in self.consents:
                if expected.state in ("requested", "granted") and expected.valid_until <= self.clock:
                    expected.state = "expired"

        @precondition(lambda self: self.consents)
        @rule(data=st.data())
        def access_as_consented(self, data):
            """The read a bank would make: the categories of one of its consents, whatever became of it."""
            expected = data.draw(st.sampled_from(self.consents))
            self.access(expected.contract, sorted(expected.categories))

        @precondition(lambda self: self.consents)
        @rule(data=st.data())
        def grant(self, data):
            self.decide(data, "grant")

        @rule(which=st.integers(0, 1), wanted=categories)
        def access(self, which, wanted):
            live = services.live_consent(subject_hash=world.subject.id_number_hash, contract=self._contract(which),
                                         categories=wanted, now=self.clock)
            matching = [c.id for c in self.consents if c.contract == which and c.state == "granted"
                        and set(wanted) <= c.categories and c.valid_until > self.clock]
            assert (live is not None) == bool(matching)
            if live is not None:
                assert live.id in matching and live.recipient_org_id == buyers[which].org_id

        @invariant()
        def states_match(self):
            db.session.expire_all()
            for expected in self.consents:
                assert db.session.get(Consent, expected.id).state == expected.state

    run_state_machine_as_test(ConsentMachine, settings=settings(
        max_examples=25, stateful_step_count=15, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))


