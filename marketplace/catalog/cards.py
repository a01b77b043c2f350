"""Result cards: what a search result shows of a listing, read with Core for a page of listing ids.

A result page is read-only and shown once, so its listings are plain values rather than ORM objects (which
cost several times more to build, with their identity map and attribute instrumentation). A card has the
attributes of a Listing that the catalog page and ListingSchema read, under the same names.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import bindparam, select

from marketplace.accounts.models import Organization
from marketplace.catalog.models import Listing, Offer
from marketplace.extensions import db
from marketplace.products.models import ProductVersion


@dataclass(frozen=True, slots=True)
class CardVersion:
    """The served version, without the scan report, checks, sample and field dictionary a card never shows."""

    number: int
    name: str
    name_en: str
    description: str
    scenarios: list[str]
    source_type: str
    update_frequency: str
    delivery_modes: list[str]
    holds_pi: bool
    deidentified: bool
    cross_border_allowed: bool

    display_name = ProductVersion.display_name  # the model's own rule, over the same two attributes


@dataclass(frozen=True, slots=True)
class CardProvider:
    """The provider, named as a card names it."""

    name: str
    name_en: str
    uscc: str

    display_name = Organization.display_name  # the model's own rule, over the same two attributes


@dataclass(frozen=True, slots=True)
class CardOffer:
    """An active offer, as OfferSchema shows it and a card prices it (ui.cheapest_offer, ui.offer_price)."""

    id: int
    position: int
    name: str
    name_en: str
    pricing_mode: str
    billing_period: str
    price_minor: int | None
    currency: str
    term_months: int | None
    licence: str
    usage_scope: str
    instant: bool


@dataclass(frozen=True, slots=True)
class Card:
    """A listed listing as a search result: the listing's own columns, its served version, provider and offers."""

    id: int
    product_id: int
    state: str
    venue: str
    listed_at: datetime
    sector: str
    product_type: str
    region: str
    security_level: str
    certificate_number: str | None
    version: CardVersion
    organization: CardProvider
    offers: list[CardOffer]


def _names(card: type) -> list[str]:
    return [field.name for field in fields(card)]


_OWN = _names(Card)[:-3]  # the listing's own columns; its version, organization and offers follow
_IDS = bindparam("ids", expanding=True)
_LISTINGS = (select(*(getattr(Listing, name) for name in _OWN),
                    *(getattr(ProductVersion, name) for name in _names(CardVersion)),
                    *(getattr(Organization, name) for name in _names(CardProvider)))
             .join(ProductVersion, ProductVersion.id == Listing.version_id)
             .join(Organization, Organization.id == Listing.org_id)
             .where(Listing.id.in_(_IDS)))
_OFFERS = (select(Offer.listing_id, *(getattr(Offer, name) for name in _names(CardOffer)))
           .where(Offer.listing_id.in_(_IDS), Offer.active).order_by(Offer.listing_id, Offer.position))


def load_cards(ids: list[int]) -> list[Card]:
    """The cards of the given listings, in the given order, each with its active offers."""
    if not ids:
        return []
    connection = db.session.connection()
    offers: dict[int, list[CardOffer]] = {listing_id: [] for listing_id in ids}
    for row in connection.execute(_OFFERS, {"ids": ids}):
        offers[row[0]].append(CardOffer(*row[1:]))
    own, version = len(_OWN), len(_OWN) + len(fields(CardVersion))
    cards = {row[0]: Card(*row[:own], CardVersion(*row[own:version]), CardProvider(*row[version:]), offers[row[0]])
             for row in connection.execute(_LISTINGS, {"ids": ids})}
    return [cards[listing_id] for listing_id in ids]
