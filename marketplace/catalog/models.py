"""A listing (a registered product offered in the catalog), its offers, and the search document it is found by."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.catalog.states import ListingState
from marketplace.extensions import db
from marketplace.types import UTCDateTime, utcnow


class Listing(db.Model):
    """One product in the catalog. It serves the product's registered version and carries copies of the
    version's facet values, so that searching, counting and sorting read one narrow table."""

    __tablename__ = "listings"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("product_versions.id"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default=ListingState.NEW)
    state_reason: Mapped[str] = mapped_column(Text, default="")
    # Set when the exchange itself suspended the listing (the certificate expired), so renewal relists it.
    held_by_system: Mapped[bool] = mapped_column(Boolean, default=False)
    venue: Mapped[str] = mapped_column(String(30), default="main")
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    listed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    # Facet copies of the served version and the active offers (rewritten by catalog.index.refresh).
    sector: Mapped[str] = mapped_column(String(30), default="")
    product_type: Mapped[str] = mapped_column(String(30), default="")
    security_level: Mapped[str] = mapped_column(String(20), default="")
    region: Mapped[str] = mapped_column(String(100), default="")
    delivery_mask: Mapped[int] = mapped_column(Integer, default=0)
    pricing_mask: Mapped[int] = mapped_column(Integer, default=0)
    min_price_minor: Mapped[int | None] = mapped_column(db.BigInteger)
    sort_name: Mapped[str] = mapped_column(String(200), default="")
    certificate_number: Mapped[str | None] = mapped_column(String(40))

    product = relationship("Product")
    version = relationship("ProductVersion", lazy="joined")
    organization = relationship("Organization", lazy="joined")
    offers = relationship("Offer", back_populates="listing", order_by="Offer.position",
                          primaryjoin="and_(Offer.listing_id == Listing.id, Offer.active)", lazy="selectin",
                          viewonly=True)

    __mapper_args__ = {"version_id_col": lock_version}
    __table_args__ = (
        # One live listing per product; delisted ones stay as history.
        Index("uq_listings_live_product", "product_id", unique=True,
              sqlite_where=text("state IN ('new', 'listed', 'suspended')"),
              postgresql_where=text("state IN ('new', 'listed', 'suspended')")),
        Index("ix_listings_browse", "state", "listed_at", "id"),
        Index("ix_listings_sector", "state", "sector", "listed_at"),
        Index("ix_listings_price", "state", "min_price_minor"),
        Index("ix_listings_updated", "updated_at"),
    )

    @property
    def is_listed(self) -> bool:
        return self.state == ListingState.LISTED


class Offer(db.Model):
    """A way to buy a listing: pricing mode, price in integer minor units, term, licence and usage scope.

    Offers are never edited in place: a contract names the offer it was made on, so changing a listing's
    offers retires the old rows (active = false) and adds new ones."""

    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    pricing_mode: Mapped[str] = mapped_column(String(20))
    billing_period: Mapped[str] = mapped_column(String(10), default="")
    price_minor: Mapped[int | None] = mapped_column(db.BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    term_months: Mapped[int | None] = mapped_column(Integer)
    licence: Mapped[str] = mapped_column(Text, default="")
    usage_scope: Mapped[str] = mapped_column(Text, default="")
    instant: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    listing = relationship("Listing", back_populates="offers")


class SearchDocument(db.Model):
    """The terms a listed listing is found by, one space-separated column per field weight.

    Only listed listings have a document. The full-text index over it is the database's own: an FTS5
    table kept in step by triggers on SQLite, a generated tsvector column with a GIN index on PostgreSQL
    (see catalog.search_index); both change in the transaction that changes the listing."""

    __tablename__ = "catalog_search"

    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), primary_key=True, autoincrement=False)
    title_terms: Mapped[str] = mapped_column(Text, default="")
    tag_terms: Mapped[str] = mapped_column(Text, default="")
    field_terms: Mapped[str] = mapped_column(Text, default="")
    text_terms: Mapped[str] = mapped_column(Text, default="")
    # The (facet, value) pairs this listing is counted under in catalog_facet_counts, to uncount exactly.
    facets: Mapped[list] = mapped_column(JSON, default=list)


class FacetCount(db.Model):
    """Facet counts of the listed catalog, kept in the transaction that changes a listing.

    filter_key "" holds the counts of the whole catalog; "sector=finance" holds the other facets' counts
    among listings with that one value. Browsing with no text and at most one filter then reads a few
    hundred rows whatever the catalog's size, instead of counting every listing."""

    __tablename__ = "catalog_facet_counts"

    filter_key: Mapped[str] = mapped_column(String(140), primary_key=True)
    facet: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[str] = mapped_column(String(100), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_facet_counts_top", "filter_key", "facet", "n"),)
