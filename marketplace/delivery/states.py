"""Lifecycle of a release (a revision of a product's data): published → revoked."""

from enum import StrEnum

from marketplace.lifecycle import Lifecycle


class ReleaseState(StrEnum):
    NEW = "new"  # only inside the transaction that publishes it
    PUBLISHED = "published"
    REVOKED = "revoked"


class ReleaseAction(StrEnum):
    PUBLISH = "publish"
    REVOKE = "revoke"


RELEASE = Lifecycle("release", ReleaseState, {
    (ReleaseState.NEW, ReleaseAction.PUBLISH): ReleaseState.PUBLISHED,
    (ReleaseState.PUBLISHED, ReleaseAction.REVOKE): ReleaseState.REVOKED,
})
