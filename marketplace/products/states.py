"""Lifecycle of a product version, from draft to registered (and superseded by a later registration)."""

from enum import StrEnum

from marketplace.lifecycle import Lifecycle


class VersionState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"
    APPROVED = "approved"
    PUBLIC_NOTICE = "public_notice"
    OBJECTION = "objection"
    WITHDRAWN = "withdrawn"
    REGISTERED = "registered"
    SUPERSEDED = "superseded"
    CANCELLED = "cancelled"
    REVOKED = "revoked"
    EXPIRED = "expired"


class VersionAction(StrEnum):
    SUBMIT = "submit"
    START_REVIEW = "start_review"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"
    APPROVE = "approve"
    OPEN_NOTICE = "open_notice"
    RAISE_OBJECTION = "raise_objection"
    DISMISS_OBJECTIONS = "dismiss_objections"
    UPHOLD_TO_REVIEW = "uphold_to_review"
    UPHOLD_WITHDRAW = "uphold_withdraw"
    REGISTER = "register"
    SUPERSEDE = "supersede"
    CANCEL = "cancel"
    REVOKE = "revoke"
    EXPIRE = "expire"
    RENEW = "renew"


S, A = VersionState, VersionAction

PRODUCT_VERSION = Lifecycle("product_version", VersionState, {
    (S.DRAFT, A.SUBMIT): S.SUBMITTED,
    (S.CHANGES_REQUESTED, A.SUBMIT): S.SUBMITTED,
    (S.SUBMITTED, A.START_REVIEW): S.IN_REVIEW,
    (S.IN_REVIEW, A.REQUEST_CHANGES): S.CHANGES_REQUESTED,
    (S.IN_REVIEW, A.REJECT): S.REJECTED,
    (S.IN_REVIEW, A.APPROVE): S.APPROVED,
    (S.APPROVED, A.OPEN_NOTICE): S.PUBLIC_NOTICE,
    (S.PUBLIC_NOTICE, A.RAISE_OBJECTION): S.OBJECTION,
    (S.OBJECTION, A.DISMISS_OBJECTIONS): S.PUBLIC_NOTICE,
    (S.OBJECTION, A.UPHOLD_TO_REVIEW): S.IN_REVIEW,
    (S.OBJECTION, A.UPHOLD_WITHDRAW): S.WITHDRAWN,
    (S.PUBLIC_NOTICE, A.REGISTER): S.REGISTERED,
    (S.REGISTERED, A.SUPERSEDE): S.SUPERSEDED,
    # The certificate's fate is the registered version's: cancelled by the holder, revoked by the exchange,
    # expired, and back to registered when an expired certificate is renewed.
    (S.REGISTERED, A.CANCEL): S.CANCELLED,
    (S.REGISTERED, A.REVOKE): S.REVOKED,
    (S.REGISTERED, A.EXPIRE): S.EXPIRED,
    (S.EXPIRED, A.RENEW): S.REGISTERED,
})

EDITABLE = (S.DRAFT, S.CHANGES_REQUESTED)
# A new draft version may start from these: the product is not in anyone's hands.
NEW_VERSION_FROM = (S.REGISTERED, S.REJECTED, S.WITHDRAWN, S.CANCELLED, S.EXPIRED)


class ScanState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class ScanAction(StrEnum):
    START = "start"
    SUCCEED = "succeed"
    FAIL = "fail"


SCAN_JOB = Lifecycle("scan_job", ScanState, {
    (ScanState.QUEUED, ScanAction.START): ScanState.RUNNING,
    (ScanState.QUEUED, ScanAction.FAIL): ScanState.FAILED,
    (ScanState.RUNNING, ScanAction.SUCCEED): ScanState.SUCCEEDED,
    (ScanState.RUNNING, ScanAction.FAIL): ScanState.FAILED,
})
