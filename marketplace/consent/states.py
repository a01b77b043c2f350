"""Lifecycle of a consent: requested → granted | refused; granted → withdrawn | expired (PIPL art. 14–16)."""

from enum import StrEnum

from marketplace.lifecycle import Lifecycle


class ConsentState(StrEnum):
    NEW = "new"  # only inside the transaction that requests it
    REQUESTED = "requested"
    GRANTED = "granted"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


class ConsentAction(StrEnum):
    REQUEST = "request"
    GRANT = "grant"
    REFUSE = "refuse"
    WITHDRAW = "withdraw"
    EXPIRE = "expire"


S, A = ConsentState, ConsentAction

CONSENT = Lifecycle("consent", ConsentState, {
    (S.NEW, A.REQUEST): S.REQUESTED,
    (S.REQUESTED, A.GRANT): S.GRANTED,
    (S.REQUESTED, A.REFUSE): S.REFUSED,
    # An unanswered request lapses when its contract ends or its validity passes.
    (S.REQUESTED, A.EXPIRE): S.EXPIRED,
    (S.GRANTED, A.WITHDRAW): S.WITHDRAWN,
    (S.GRANTED, A.EXPIRE): S.EXPIRED,
})
