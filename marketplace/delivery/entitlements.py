"""The one check every delivery call runs at request time: the caller's organisation holds this contract, the
contract is active and within term, the declared purpose is the contract's, the delivery mode is the product's,
and the contract's rate limit is not spent. Nothing is cached: expiry, termination or a suspended listing take
effect on the very next call. Successful calls are metered (per-call offers bill each call)."""

from __future__ import annotations

from functools import cache

from flask import current_app
from flask_babel import gettext as _
from limits import RateLimitItemPerMinute
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, lazyload, load_only

from marketplace import policy, ratelimit
from marketplace.catalog.models import Listing, Offer
from marketplace.delivery.models import UsageRecord
from marketplace.errors import N_, DomainError, Forbidden, NotFound
from marketplace.extensions import db
from marketplace.products.models import ProductVersion
from marketplace.trading.models import AccessRequest, Contract
from marketplace.trading.states import ContractState
from marketplace.types import utcnow

MODES = ("file", "api", "aggregate")
KINDS = ("files", "records", "aggregates")


class RateLimited(DomainError):
    status = 429
    title = N_("Too many requests")


class Gone(DomainError):
    status = 410
    title = N_("Gone")


def _spend_rate(contract: Contract) -> None:
    per_minute = int(current_app.config.get("MARKETPLACE_DELIVERY_RATE_PER_MINUTE", 60))
    if not ratelimit.limiter().hit(RateLimitItemPerMinute(per_minute), "delivery", str(contract.id)):
        raise RateLimited(_("Contract %(number)s is limited to %(n)d delivery calls a minute; try again shortly.",
                            number=contract.number, n=per_minute))


@cache
def _entitlement_load():
    """What the check and the usage line read, and nothing else, in one statement. The models load eagerly for
    the pages (a contract's signatures and their signers, a listing's version and offers, a version's product and
    evidence…): on a call that runs per delivered record those were four statements of rows nobody reads.
    Anything else a caller touches still loads on access (lazyload, not noload: never a silently empty
    relationship). Built on first use, not at import: options configure the mappers, and every model must be
    imported by then."""
    return (
        load_only(Contract.number, Contract.state, Contract.lock_version, Contract.ends_at, Contract.ended_at,
                  Contract.product_id, Contract.listing_id, Contract.request_id, Contract.version_id,
                  Contract.offer_id, Contract.buyer_org_id, Contract.provider_org_id, Contract.pricing_mode,
                  Contract.currency),
        lazyload("*"),
        joinedload(Contract.listing).load_only(Listing.state, Listing.lock_version).lazyload("*"),
        joinedload(Contract.request).load_only(AccessRequest.scenario).lazyload("*"),
        joinedload(Contract.version).load_only(ProductVersion.delivery_modes).lazyload("*"),
        joinedload(Contract.offer).load_only(Offer.price_minor).lazyload("*"),
    )


@cache
def _entitled_contract():
    """The check's one statement, built once: building and keying it cost more than running it."""
    return select(Contract).where(Contract.id == bindparam("contract_id")).options(*_entitlement_load())


def entitle(contract_id: int, *, actor, purpose: str, mode: str, spend: bool = True) -> Contract:
    """Return the contract when this call may receive data under it, else raise (404, 403, 429). `spend=False`
    checks again without counting the call a second time against the rate limit."""
    contract = db.session.scalar(_entitled_contract(), {"contract_id": contract_id})
    if contract is None or not policy.allowed(policy.can_receive_delivery, actor, contract):
        # Another organisation's contract is not even confirmed to exist.
        raise NotFound(_("No such contract."))
    now = utcnow()
    if contract.state == ContractState.EXPIRED or (
            contract.state == ContractState.ACTIVE and contract.ends_at is not None and now >= contract.ends_at):
        raise Forbidden(_("Contract %(number)s has expired: no data is delivered under it.", number=contract.number))
    if contract.state == ContractState.TERMINATED:
        raise Forbidden(_("Contract %(number)s was terminated: no data is delivered under it.",
                          number=contract.number))
    if contract.state != ContractState.ACTIVE:
        raise Forbidden(_("Contract %(number)s is not active yet (%(state)s): no data is delivered before it is.",
                          number=contract.number, state=contract.state))
    if contract.listing is not None and contract.listing.state == "suspended":
        raise Forbidden(_("The exchange has suspended this product's listing: delivery is paused."))
    if purpose != contract.request.scenario:
        raise Forbidden(_("The declared purpose is another purpose than contract %(number)s's (%(scenario)s).",
                          number=contract.number, scenario=contract.request.scenario))
    if mode not in (contract.version.delivery_modes or []):
        raise Forbidden(_("This product is not delivered by %(mode)s; its delivery modes are: %(modes)s.",
                          mode=mode, modes=", ".join(contract.version.delivery_modes or []) or "-"))
    if spend:
        _spend_rate(contract)
    return contract


def usage_line(contract: Contract, *, actor, kind: str, units: int, billable: bool = True,
               detail: dict | None = None) -> dict:
    """The columns of one usage line (UsageRecord), for the caller to insert. A per-call offer bills each call
    that delivers data."""
    price = (contract.offer.price_minor or 0) if contract.pricing_mode == "per_call" and billable else 0
    return {"contract_id": contract.id, "actor_id": actor.id, "kind": kind, "units": units, "billable_minor": price,
            "currency": contract.currency, "detail": detail or {}}


def meter(contract: Contract, *, actor, kind: str, units: int, billable: bool = True,
          detail: dict | None = None) -> UsageRecord:
    """One usage line, in the caller's transaction."""
    record = UsageRecord(**usage_line(contract, actor=actor, kind=kind, units=units, billable=billable,
                                      detail=detail))
    db.session.add(record)
    return record
