"""Lifecycles of reviews, public notices, objections and certificates."""

from enum import StrEnum

from marketplace.lifecycle import Lifecycle


class ReviewState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"
    REOPENED = "reopened"


class ReviewAction(StrEnum):
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"
    REOPEN = "reopen"


REVIEW = Lifecycle("review", ReviewState, {
    (ReviewState.PENDING, ReviewAction.APPROVE): ReviewState.APPROVED,
    (ReviewState.PENDING, ReviewAction.REQUEST_CHANGES): ReviewState.CHANGES_REQUESTED,
    (ReviewState.PENDING, ReviewAction.REJECT): ReviewState.REJECTED,
    # An upheld objection sends an approved product back to a reviewer.
    (ReviewState.APPROVED, ReviewAction.REOPEN): ReviewState.REOPENED,
})


class NoticeState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class NoticeAction(StrEnum):
    CLOSE = "close"
    WITHDRAW = "withdraw"


NOTICE = Lifecycle("notice", NoticeState, {
    (NoticeState.OPEN, NoticeAction.CLOSE): NoticeState.CLOSED,
    (NoticeState.OPEN, NoticeAction.WITHDRAW): NoticeState.WITHDRAWN,
})


class ObjectionState(StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    DISMISSED = "dismissed"


class ObjectionAction(StrEnum):
    UPHOLD = "uphold"
    DISMISS = "dismiss"


OBJECTION = Lifecycle("objection", ObjectionState, {
    (ObjectionState.OPEN, ObjectionAction.UPHOLD): ObjectionState.UPHELD,
    (ObjectionState.OPEN, ObjectionAction.DISMISS): ObjectionState.DISMISSED,
})


class CertificateState(StrEnum):
    VALID = "valid"
    SUPERSEDED = "superseded"
    CANCELLED = "cancelled"
    REVOKED = "revoked"
    EXPIRED = "expired"
    RENEWED = "renewed"


class CertificateAction(StrEnum):
    SUPERSEDE = "supersede"
    CANCEL = "cancel"
    REVOKE = "revoke"
    EXPIRE = "expire"
    RENEW = "renew"


CERTIFICATE = Lifecycle("certificate", CertificateState, {
    (CertificateState.VALID, CertificateAction.SUPERSEDE): CertificateState.SUPERSEDED,
    (CertificateState.VALID, CertificateAction.CANCEL): CertificateState.CANCELLED,
    (CertificateState.VALID, CertificateAction.REVOKE): CertificateState.REVOKED,
    (CertificateState.VALID, CertificateAction.EXPIRE): CertificateState.EXPIRED,
    # Renewal issues a new certificate (registration type "renewal") naming the expired one as predecessor.
    (CertificateState.EXPIRED, CertificateAction.RENEW): CertificateState.RENEWED,
})

# The log event each certificate action appends (the issuing of a certificate appends "issued").
LOG_EVENTS = {
    CertificateAction.SUPERSEDE: "superseded",
    CertificateAction.CANCEL: "cancelled",
    CertificateAction.REVOKE: "revoked",
    CertificateAction.EXPIRE: "expired",
    CertificateAction.RENEW: "renewed",
}
