"""Lifecycle of a listing: listed ⇄ suspended → delisted (a delisted product may be listed again, afresh)."""

from enum import StrEnum

from marketplace.lifecycle import Lifecycle


class ListingState(StrEnum):
    NEW = "new"  # only inside the transaction that lists it: the history starts with "list"
    LISTED = "listed"
    SUSPENDED = "suspended"
    DELISTED = "delisted"


class ListingAction(StrEnum):
    LIST = "list"
    SUSPEND = "suspend"
    RELIST = "relist"
    DELIST = "delist"


S, A = ListingState, ListingAction

LISTING = Lifecycle("listing", ListingState, {
    (S.NEW, A.LIST): S.LISTED,
    (S.LISTED, A.SUSPEND): S.SUSPENDED,
    (S.SUSPENDED, A.RELIST): S.LISTED,
    (S.LISTED, A.DELIST): S.DELISTED,
    (S.SUSPENDED, A.DELIST): S.DELISTED,
})

# States in which a product has its (one) live listing.
LIVE = (S.LISTED, S.SUSPENDED)
