"""Lifecycle of a payment: requires_payment → processing → succeeded | failed; succeeded → refunded.

Stripe's events may arrive in any order and more than once, so a payment only ever moves forward in RANK:
an older event arriving late changes nothing, and every order of the same events ends in the same state."""

from enum import StrEnum

from marketplace.lifecycle import Lifecycle


class PaymentState(StrEnum):
    NEW = "new"  # only inside the transaction that creates it
    REQUIRES_PAYMENT = "requires_payment"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDED = "refunded"


class PaymentAction(StrEnum):
    CREATE = "create"
    PROCESS = "process"
    SUCCEED = "succeed"
    FAIL = "fail"
    REFUND = "refund"


S, A = PaymentState, PaymentAction

PAYMENT = Lifecycle("payment", PaymentState, {
    (S.NEW, A.CREATE): S.REQUIRES_PAYMENT,
    (S.REQUIRES_PAYMENT, A.PROCESS): S.PROCESSING,
    (S.REQUIRES_PAYMENT, A.SUCCEED): S.SUCCEEDED,
    (S.PROCESSING, A.SUCCEED): S.SUCCEEDED,
    (S.REQUIRES_PAYMENT, A.FAIL): S.FAILED,
    (S.PROCESSING, A.FAIL): S.FAILED,
    # A failed card can be retried on the same PaymentIntent, which may then succeed.
    (S.FAILED, A.PROCESS): S.PROCESSING,
    (S.FAILED, A.SUCCEED): S.SUCCEEDED,
    (S.SUCCEEDED, A.REFUND): S.REFUNDED,
})

# Forward order; FAILED ranks above PROCESSING so a late "processing" never undoes a failure it preceded.
RANK = {S.NEW: 0, S.REQUIRES_PAYMENT: 1, S.PROCESSING: 2, S.FAILED: 3, S.SUCCEEDED: 4, S.REFUNDED: 5}
ACTION_TO = {S.PROCESSING: A.PROCESS, S.SUCCEEDED: A.SUCCEED, S.FAILED: A.FAIL, S.REFUNDED: A.REFUND}
OPEN = (S.REQUIRES_PAYMENT, S.PROCESSING)
