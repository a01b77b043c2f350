"""Use cases of the catalog: listing a registered product with offers, moderating listings, reading them.

A listing follows its product's registrations: a new registered version replaces the served one, a
cancelled or revoked certificate delists it, an expired one suspends it until renewal (receivers of
lifecycle.transitioned, running inside the registration's own transaction).
"""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from marketplace import audit, policy
from marketplace.catalog import index
from marketplace.catalog.models import Listing, Offer
from marketplace.catalog.states import LISTING, LIVE, ListingAction, ListingState
from marketplace.database import unit_of_work
from marketplace.errors import Conflict, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.lifecycle import transition, transitioned
from marketplace.products.models import Product, ProductVersion
from marketplace.products.states import VersionAction, VersionState
from marketplace.types import utcnow

MAX_OFFERS = 10
PRICED = ("one_off", "subscription", "per_call")


def venues() -> list[str]:
    return ["main", *current_app.config["MARKETPLACE_CATALOG_ZONES"]]


def _live_listing(product_id: int) -> Listing | None:
    return db.session.scalar(select(Listing).where(Listing.product_id == product_id, Listing.state.in_(LIVE)))


def _registered_version(product: Product) -> ProductVersion | None:
    return next((v for v in product.versions if v.state == VersionState.REGISTERED), None)


def _check_offers(offers: list[dict]) -> None:
    """Business rules of offers (their shape is the schema's): prices where the mode needs one, and only there."""
    errors: dict[str, list[str]] = {}
    if not offers:
        errors["offers"] = [_("List at least one offer.")]
    elif len(offers) > MAX_OFFERS:
        errors["offers"] = [_("At most %(n)d offers.", n=MAX_OFFERS)]
    currencies = current_app.config["MARKETPLACE_CURRENCIES"]
    for i, offer in enumerate(offers):
        mode, price = offer["pricing_mode"], offer.get("price_minor")
        problems = []
        if mode in PRICED and not price:
            problems.append(_("A %(mode)s offer needs a price above zero.", mode=mode.replace("_", "-")))
        if mode == "negotiable" and price is not None:
            problems.append(_("A negotiable offer has no list price."))
        if mode == "free" and price:
            problems.append(_("A free offer cannot have a price."))
        if mode == "subscription" and offer.get("billing_period") not in ("month", "year"):
            problems.append(_("A subscription is billed per month or per year."))
        if mode != "subscription" and offer.get("billing_period"):
            problems.append(_("Only subscriptions have a billing period."))
        if offer.get("currency", "CNY") not in currencies:
            problems.append(_("Currency must be one of %(list)s.", list=", ".join(currencies)))
        if problems:
            errors[f"offers.{i}"] = problems
    if errors:
        raise ValidationFailed(_("The offers are not valid."), errors=errors)


def _replace_offers(listing: Listing, offers: list[dict], version: ProductVersion) -> None:
    for old in db.session.scalars(select(Offer).where(Offer.listing_id == listing.id, Offer.active)):
        old.active = False
    for position, offer in enumerate(offers):
        price = 0 if offer["pricing_mode"] == "free" else offer.get("price_minor")
        db.session.add(Offer(
            listing_id=listing.id, position=position, name=offer["name"], name_en=offer.get("name_en", ""),
            pricing_mode=offer["pricing_mode"], billing_period=offer.get("billing_period", ""), price_minor=price,
            currency=offer.get("currency", "CNY"),
            term_months=offer.get("term_months") or version.licence_term_months,
            licence=offer.get("licence", ""), usage_scope=offer.get("usage_scope") or version.usage_scope,
            instant=offer.get("instant", False)))
    db.session.flush()
    db.session.expire(listing, ["offers"])


def _check_lock(listing: Listing, lock_version: int | None) -> None:
    if lock_version is not None and lock_version != listing.lock_version:
        raise Conflict(_("This listing was changed by someone else since you loaded it; reload and try again."),
                       errors={"lock_version": [_("Current version is %(n)d.", n=listing.lock_version)]})


def _check_venue(venue: str) -> None:
    if venue not in venues():
        raise ValidationFailed(_("No such venue."), errors={"venue": [_("Choose one of %(list)s.",
                                                                          list=", ".join(venues()))]})


def list_product(product_id: int, *, offers: list[dict], venue: str = "main", actor,
                 lock_version: int | None = None) -> Listing:
    """List a registered product with its offers, or replace the offers and venue of its live listing."""
    with unit_of_work():
        product = db.session.get(Product, product_id)
        if product is None:
            raise NotFound(_("No such product."))
        policy.require(policy.can_list_product, actor, product)
        version = _registered_version(product)
        if version is None:
            raise Conflict(_("Only a registered product can be listed."))
        _check_venue(venue)
        _check_offers(offers)
        listing = _live_listing(product_id)
        if listing is None:
            listing = Listing(product=product, version=version, org_id=product.org_id, venue=venue,
                              created_by_id=actor.id)
            db.session.add(listing)
            db.session.flush()
            _replace_offers(listing, offers, version)
            transition(listing, LISTING, ListingAction.LIST, actor=actor, data={"venue": venue})
        else:
            _check_lock(listing, lock_version)
            listing.venue, listing.updated_at = venue, utcnow()  # new offers are a new listing version too
            _replace_offers(listing, offers, version)
            audit.record(actor, "listing.update", "listing", listing.id,
                         {"venue": venue, "offers": [offer.id for offer in listing.offers]})
        index.refresh(listing)
    return listing


def _moderate(product_id: int, action: ListingAction, predicate, *, reason: str, actor,
              lock_version: int | None) -> Listing:
    with unit_of_work():
        listing = _live_listing(product_id)
        if listing is None:
            raise NotFound(_("This product has no listing."))
        policy.require(predicate, actor, listing)
        _check_lock(listing, lock_version)
        if not reason.strip():
            raise ValidationFailed(_("Give a reason; the broker is told it."), errors={"reason": [_("Required.")]})
        transition(listing, LISTING, action, actor=actor, reason=reason)
        listing.state_reason, listing.held_by_system = reason, False
        index.refresh(listing)
    return listing


def suspend_listing(product_id: int, *, reason: str, actor, lock_version: int | None = None) -> Listing:
    return _moderate(product_id, ListingAction.SUSPEND, policy.can_moderate_listing, reason=reason, actor=actor,
                     lock_version=lock_version)


def relist_listing(product_id: int, *, reason: str, actor, lock_version: int | None = None) -> Listing:
    return _moderate(product_id, ListingAction.RELIST, policy.can_moderate_listing, reason=reason, actor=actor,
                     lock_version=lock_version)


def delist_listing(product_id: int, *, reason: str, actor, lock_version: int | None = None) -> Listing:
    return _moderate(product_id, ListingAction.DELIST, policy.can_delist_listing, reason=reason, actor=actor,
                     lock_version=lock_version)


def get_listing(product_id: int) -> Listing:
    """The public listing of a product: listed only."""
    listing = db.session.scalar(select(Listing).where(Listing.product_id == product_id,
                                                      Listing.state == ListingState.LISTED))
    if listing is None:
        raise NotFound(_("No listed product with this id."))
    return listing


def listing_of(product_id: int, *, actor) -> Listing | None:
    """The live listing of a product as its broker or the exchange sees it (suspended ones included)."""
    listing = _live_listing(product_id)
    if listing is not None:
        policy.require(policy.can_view_listing, actor, listing)
    return listing


# Following registrations ------------------------------------------------------------------------------------

def _follow_version(sender, *, obj, action, source, target, actor, reason, **_kw) -> None:
    if sender != "product_version":
        return
    listing = _live_listing(obj.product_id)
    if listing is None:
        return
    if action == VersionAction.REGISTER and listing.version_id != obj.id:
        listing.version = obj
        audit.record(None, "listing.follow_version", "listing", listing.id, {"version_id": obj.id})
    elif action in (VersionAction.CANCEL, VersionAction.REVOKE) and listing.version_id == obj.id:
        why = f"certificate {target}: {reason or ''}".strip(": ")
        transition(listing, LISTING, ListingAction.DELIST, actor=None, reason=why)
        listing.state_reason, listing.held_by_system = why, True
    elif action == VersionAction.EXPIRE and listing.state == ListingState.LISTED and listing.version_id == obj.id:
        transition(listing, LISTING, ListingAction.SUSPEND, actor=None, reason="certificate expired")
        listing.state_reason, listing.held_by_system = "certificate expired", True
    elif action == VersionAction.RENEW and listing.state == ListingState.SUSPENDED and listing.held_by_system:
        transition(listing, LISTING, ListingAction.RELIST, actor=None, reason="certificate renewed")
        listing.state_reason, listing.held_by_system = "", False
    else:
        return
    index.refresh(listing)


def connect() -> None:
    """Called once by the app factory: the catalog starts following registrations."""
    transitioned.connect(_follow_version, weak=False)


# Reading for the HTML pages ------------------------------------------------------------------------------------

def provider_names(usccs) -> dict[str, dict[str, str]]:
    """Names of the organisations with these USCCs, as {uscc: {"zh": name, "en": name_en}} (facet labels)."""
    from marketplace.accounts.models import Organization

    wanted = sorted({uscc for uscc in usccs if uscc})
    if not wanted:
        return {}
    rows = db.session.execute(select(Organization.uscc, Organization.name, Organization.name_en)
                              .where(Organization.uscc.in_(wanted))).all()
    return {uscc: {"zh": name, "en": name_en or name} for uscc, name, name_en in rows}


def shown_listing(product_id: int, *, actor) -> Listing:
    """The listing page's listing: a listed one for anyone; a suspended one only for its broker and admins."""
    listing = _live_listing(product_id)
    if listing is None or not (listing.is_listed or policy.allowed(policy.can_view_listing, actor, listing)):
        raise NotFound(_("No listed product with this id."))
    return listing


def listing_status(product_id: int, *, actor) -> Listing | None:
    """The product's live listing, else its last delisted one (with the reason), for its broker and admins."""
    listing = _live_listing(product_id) or db.session.scalars(
        select(Listing).where(Listing.product_id == product_id).order_by(Listing.id.desc())).first()
    if listing is None or not policy.allowed(policy.can_view_listing, actor, listing):
        return None
    return listing


def listing_form_of(product_id: int, *, actor) -> tuple[Product, Listing | None]:
    """The product a broker is about to list (or re-offer) and its live listing, if any."""
    product = db.session.get(Product, product_id)
    if product is None:
        raise NotFound(_("No such product."))
    policy.require(policy.can_list_product, actor, product)
    return product, _live_listing(product_id)


def catalog_modified_at():
    """When the catalog last changed: any change to a listing (offers, state, the version served) touches its
    updated_at; reading one end of ix_listings_updated costs the same at any catalog size."""
    return db.session.scalar(select(Listing.updated_at).order_by(Listing.updated_at.desc()).limit(1))
