"""Lifecycles of trading: an access request (pending → approved | declined | withdrawn | expired) and the
contract an approval creates (awaiting_signatures → awaiting_payment → active → expired | terminated)."""

from enum import StrEnum

from marketplace.lifecycle import Lifecycle


class RequestState(StrEnum):
    NEW = "new"  # only inside the transaction that submits it
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


class RequestAction(StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    DECLINE = "decline"
    WITHDRAW = "withdraw"
    RESUBMIT = "resubmit"
    EXPIRE = "expire"


R, RA = RequestState, RequestAction

ACCESS_REQUEST = Lifecycle("access_request", RequestState, {
    (R.NEW, RA.SUBMIT): R.PENDING,
    (R.PENDING, RA.APPROVE): R.APPROVED,
    (R.PENDING, RA.DECLINE): R.DECLINED,
    (R.PENDING, RA.WITHDRAW): R.WITHDRAWN,
    (R.PENDING, RA.EXPIRE): R.EXPIRED,
    # The buyer may change a withdrawn request and send it again; the 45 days start afresh.
    (R.WITHDRAWN, RA.RESUBMIT): R.PENDING,
})


class ContractState(StrEnum):
    NEW = "new"  # only inside the transaction that generates it
    AWAITING_SIGNATURES = "awaiting_signatures"
    AWAITING_PAYMENT = "awaiting_payment"
    ACTIVE = "active"
    EXPIRED = "expired"
    TERMINATED = "terminated"


class ContractAction(StrEnum):
    GENERATE = "generate"
    SIGN = "sign"  # one party's signature; the state moves when the exchange countersigns
    COUNTERSIGN = "countersign"
    ACTIVATE = "activate"
    EXPIRE = "expire"
    TERMINATE = "terminate"


C, CA = ContractState, ContractAction

CONTRACT = Lifecycle("contract", ContractState, {
    (C.NEW, CA.GENERATE): C.AWAITING_SIGNATURES,
    (C.AWAITING_SIGNATURES, CA.SIGN): C.AWAITING_SIGNATURES,
    (C.AWAITING_SIGNATURES, CA.COUNTERSIGN): C.AWAITING_PAYMENT,
    # Paid (or free: straight after the countersignature, in the same transaction).
    (C.AWAITING_PAYMENT, CA.ACTIVATE): C.ACTIVE,
    (C.ACTIVE, CA.EXPIRE): C.EXPIRED,
    (C.AWAITING_SIGNATURES, CA.TERMINATE): C.TERMINATED,
    (C.AWAITING_PAYMENT, CA.TERMINATE): C.TERMINATED,
    (C.ACTIVE, CA.TERMINATE): C.TERMINATED,
})

PARTIES = ("provider", "buyer")
