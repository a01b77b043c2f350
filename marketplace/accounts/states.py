"""Lifecycle of an organisation's membership of the exchange."""

from enum import StrEnum

from marketplace.lifecycle import Lifecycle


class OrgState(StrEnum):
    APPLIED = "applied"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


class OrgAction(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    SUSPEND = "suspend"
    REINSTATE = "reinstate"


ORGANIZATION = Lifecycle("organization", OrgState, {
    (OrgState.APPLIED, OrgAction.APPROVE): OrgState.APPROVED,
    (OrgState.APPLIED, OrgAction.REJECT): OrgState.REJECTED,
    (OrgState.APPROVED, OrgAction.SUSPEND): OrgState.SUSPENDED,
    (OrgState.SUSPENDED, OrgAction.REINSTATE): OrgState.APPROVED,
})
