"""Every lifecycle table walked cell by cell: listed moves go where the table says, all others are refused."""

from __future__ import annotations

import itertools

import pytest

from marketplace.accounts.states import ORGANIZATION, OrgAction
from marketplace.catalog.states import LISTING, ListingAction
from marketplace.errors import InvalidTransition
from marketplace.lifecycle import StateChange, transition
from marketplace.products.states import PRODUCT_VERSION, SCAN_JOB, ScanAction, VersionAction
from marketplace.registration.states import (
    CERTIFICATE,
    NOTICE,
    OBJECTION,
    REVIEW,
    CertificateAction,
    NoticeAction,
    ObjectionAction,
    ReviewAction,
)

LIFECYCLES = [
    (ORGANIZATION, OrgAction),
    (PRODUCT_VERSION, VersionAction),
    (SCAN_JOB, ScanAction),
    (REVIEW, ReviewAction),
    (NOTICE, NoticeAction),
    (OBJECTION, ObjectionAction),
    (CERTIFICATE, CertificateAction),
    (LISTING, ListingAction),
]

CELLS = [
    pytest.param(lifecycle, state, action, id=f"{lifecycle.name}:{state}:{action}")
    for lifecycle, actions in LIFECYCLES
    for state, action in itertools.product(lifecycle.states, actions)
]


@pytest.mark.parametrize(("lifecycle", "state", "action"), CELLS)
def test_every_cell_of_every_table(lifecycle, state, action):
    expected = lifecycle.transitions.get((str(state), str(action)))
    if expected is None:
        with pytest.raises(InvalidTransition):
            lifecycle.next_state(state, action)
        assert not lifecycle.can(state, action)
    else:
        assert lifecycle.next_state(state, action) == expected
        assert expected in {str(s) for s in lifecycle.states}


@pytest.mark.parametrize(("lifecycle", "actions"), LIFECYCLES, ids=[lc.name for lc, _ in LIFECYCLES])
def test_every_state_is_reachable_or_initial(lifecycle, actions):
    targets = set(lifecycle.transitions.values())
    sources = {state for state, _ in lifecycle.transitions}
    initial = sources - targets
    assert len(initial) >= 1
    for state in lifecycle.states:
        assert str(state) in targets | initial, f"{state} is unreachable"
    for action in actions:
        assert any(a == str(action) for _, a in lifecycle.transitions), f"{action} is never used"


def test_a_transition_writes_its_history_and_audit_rows(world):
    from marketplace.audit import AuditEntry
    from marketplace.database import unit_of_work
    from marketplace.extensions import db

    org = world.provider_a
    with unit_of_work():
        transition(org, ORGANIZATION, OrgAction.SUSPEND, actor=world.admin, reason="licence lapsed")
    change = db.session.query(StateChange).filter_by(object_type="organization", object_id=org.id).one()
    assert (change.from_state, change.to_state, change.reason, change.actor_id) == (
        "approved", "suspended", "licence lapsed", world.admin.id)
    entry = db.session.query(AuditEntry).order_by(AuditEntry.seq.desc()).first()
    assert entry.action == "organization.suspend" and entry.data["to"] == "suspended"

    with pytest.raises(InvalidTransition), unit_of_work():
        transition(org, ORGANIZATION, OrgAction.APPROVE, actor=world.admin)
    db.session.refresh(org)
    assert org.state == "suspended"
