"""Searching the catalog: text relevance, filters, facets with counts, sorting and paging.

Facets are disjunctive, as shoppers expect: a facet's counts apply every filter but its own, so choosing
one sector still shows how many listings each other sector has. Counts come from the maintained
catalog_facet_counts when there is no text and at most one filter (browsing stays fast at any size);
otherwise from one grouped pass over the matching listings.

A text query examines at most MARKETPLACE_SEARCH_CANDIDATES matches, the newest, so that a common word
costs the same at a million listings as at ten thousand (the approach of Elasticsearch's
track_total_hits and Algolia's exhaustive flags). When a query matches more, the page says so (`exact`
is false): the total is still exact, the results are the best of those newest matches, and filtered
totals and facet counts are scaled from them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import defaultload, selectinload

from marketplace.accounts.models import Organization
from marketplace.catalog import search_index, text
from marketplace.catalog.index import DELIVERY_BITS, FACETS, PRICING_BITS, codes
from marketplace.catalog.models import FacetCount, Listing
from marketplace.catalog.states import ListingState
from marketplace.extensions import db
from marketplace.products.models import ProductVersion

CELL = ("venue", "sector", "product_type", "security_level", "region", "provider")
SORTS = ("relevance", "newest", "price_asc", "price_desc", "name")
# How many values a facet shows at most (most frequent first); the vocabularies are smaller than this.
FACET_SIZE = 20
HEAVY = (ProductVersion.scan_report, ProductVersion.check_results, ProductVersion.masked_preview,
         ProductVersion.api_check, ProductVersion.field_dictionary, ProductVersion.source_description)
MASKED = {"delivery": ("delivery_mask", DELIVERY_BITS), "pricing": ("pricing_mask", PRICING_BITS)}
COLUMNS = {"venue": "venue", "sector": "sector", "product_type": "product_type",
           "security_level": "security_level", "region": "region", "provider": "org_id"}


@dataclass(frozen=True)
class Query:
    q: str = ""
    filters: dict[str, str] = field(default_factory=dict)
    sort: str | None = None
    page: int = 1
    per_page: int = 20

    @property
    def terms(self) -> list[str]:
        return text.query_terms(self.q)

    @property
    def effective_sort(self) -> str:
        if self.sort and self.sort != "relevance":
            return self.sort
        return "relevance" if self.terms else "newest"


@dataclass(frozen=True)
class Page:
    items: list[Listing]
    total: int
    page: int
    per_page: int
    sort: str
    facets: dict[str, list[tuple[str, int]]]
    exact: bool = True


def _provider_ids(filters: dict[str, str]) -> dict[str, int]:
    uscc = filters.get("provider")
    if not uscc:
        return {}
    org_id = db.session.scalar(select(Organization.id).where(Organization.uscc == uscc))
    return {"provider": org_id if org_id is not None else -1}


def _condition(facet: str, value, ):
    if facet in MASKED:
        column, bits = MASKED[facet]
        return getattr(Listing, column).op("&")(bits.get(value, 0)) != 0
    return getattr(Listing, COLUMNS[facet]) == value


def _where(statement, filters: dict[str, object]):
    for facet, value in filters.items():
        statement = statement.where(_condition(facet, value))
    return statement


def _base(terms: list[str], limit: int):
    statement = select(Listing).where(Listing.state == ListingState.LISTED)
    hits = None
    if terms:
        hits = search_index.candidates(terms, db.session.get_bind().dialect.name, limit)
        statement = statement.join(hits, hits.c.listing_id == Listing.id)
    return statement, hits


def _ordered(statement, sort: str, hits):
    if sort == "relevance" and hits is not None:
        return statement.order_by(hits.c.score.desc(), Listing.id.desc())
    if sort == "price_asc":
        return statement.order_by(Listing.min_price_minor.is_(None), Listing.min_price_minor, Listing.id)
    if sort == "price_desc":
        return statement.order_by(Listing.min_price_minor.is_(None), Listing.min_price_minor.desc(), Listing.id)
    if sort == "name":
        return statement.order_by(Listing.sort_name, Listing.id)
    return statement.order_by(Listing.listed_at.desc(), Listing.id.desc())


def _top(counts: Counter) -> list[tuple[str, int]]:
    ranked = sorted(((value, n) for value, n in counts.items() if n > 0), key=lambda item: (-item[1], item[0]))
    return ranked[:FACET_SIZE]


def _counted_facets(filters: dict[str, str]) -> tuple[int, dict[str, list[tuple[str, int]]]]:
    """Total and facets from the maintained counts: no text, at most one filter."""
    keys = [""] + [f"{facet}={value}" for facet, value in filters.items()]
    ranked = (select(FacetCount.filter_key, FacetCount.facet, FacetCount.value, FacetCount.n,
                     func.row_number().over(partition_by=(FacetCount.filter_key, FacetCount.facet),
                                            order_by=(FacetCount.n.desc(), FacetCount.value)).label("rank"))
              .where(FacetCount.filter_key.in_(keys), FacetCount.n > 0).subquery())
    rows = db.session.execute(select(ranked.c.filter_key, ranked.c.facet, ranked.c.value, ranked.c.n)
                              .where(ranked.c.rank <= FACET_SIZE)).all()
    facets: dict[str, Counter] = {facet: Counter() for facet in FACETS}
    own = {facet: "" for facet in FACETS}
    for facet, value in filters.items():
        for other in FACETS:
            if other != facet:
                own[other] = f"{facet}={value}"
    for key, facet, value, n in rows:
        if own[facet] == key:
            facets[facet][value] = n
    if filters:
        (facet, value), = filters.items()
        total = facets[facet].get(value, 0)
        if total == 0:  # beyond the top FACET_SIZE: ask for the one row
            total = db.session.scalar(select(FacetCount.n).where(
                FacetCount.filter_key == "", FacetCount.facet == facet, FacetCount.value == value)) or 0
    else:
        total = sum(facets["venue"].values())
    return total, {facet: _top(counts) for facet, counts in facets.items()}


def _grouped_facets(base, filters: dict[str, object]):
    """Total, facets and the unfiltered count in one grouped pass over the listings matching the text."""
    columns = [Listing.venue, Listing.sector, Listing.product_type, Listing.security_level, Listing.region,
               Listing.org_id, Listing.delivery_mask, Listing.pricing_mask]
    cube = base.with_only_columns(*columns, func.count()).group_by(*columns)
    rows = db.session.execute(cube).all()
    org_ids = {row.org_id for row in rows}
    uscc = dict(db.session.execute(select(Organization.id, Organization.uscc).where(
        Organization.id.in_(org_ids))).all()) if org_ids else {}
    facets: dict[str, Counter] = {facet: Counter() for facet in FACETS}
    total = matched = 0
    for row in rows:
        *values, n = row
        matched += n
        cell = dict(zip(CELL, values[:6], strict=True))
        masks = {"delivery": codes(values[6], DELIVERY_BITS), "pricing": codes(values[7], PRICING_BITS)}
        held = {facet: _cell_holds(cell, masks, facet, value) for facet, value in filters.items()}
        if all(held.values()):
            total += n
        for facet in FACETS:
            if not all(ok for other, ok in held.items() if other != facet):
                continue
            if facet in masks:
                for code in masks[facet]:
                    facets[facet][code] += n
            elif facet == "provider":
                facets[facet][uscc.get(cell["provider"], "")] += n
            elif cell[facet]:
                facets[facet][cell[facet]] += n
    return total, facets, matched


def _cell_holds(cell: dict, masks: dict, facet: str, value) -> bool:
    if facet in masks:
        return value in masks[facet]
    return cell[facet] == value


def _scaled(counts: dict[str, Counter], factor: float) -> dict[str, Counter]:
    return {facet: Counter({value: max(1, round(n * factor)) for value, n in values.items() if n})
            for facet, values in counts.items()}


def search_listings(query: Query) -> Page:
    raw = {facet: value for facet, value in query.filters.items() if value}
    filters = {**raw, **_provider_ids(raw)}
    terms = query.terms
    limit = current_app.config["MARKETPLACE_SEARCH_CANDIDATES"]
    base, hits = _base(terms, limit)
    exact = True
    if not terms and len(filters) <= 1:
        total, facets = _counted_facets(raw)
    else:
        total, counts, matched = _grouped_facets(base, filters)
        if terms and matched >= limit:
            everything = db.session.scalar(search_index.count(terms, db.session.get_bind().dialect.name))
            if everything > matched:
                exact, factor = False, everything / matched
                counts = _scaled(counts, factor)
                total = everything if not filters else round(total * factor)
        facets = {facet: _top(values) for facet, values in counts.items()}
    sort = query.effective_sort
    # Result cards never show the served version's scan report, checks or sample: leave them in the database.
    version = defaultload(Listing.version)
    statement = _ordered(_where(base, filters), sort, hits).options(
        selectinload(Listing.offers), *(version.defer(column) for column in HEAVY),
        *(version.lazyload(relation) for relation in (ProductVersion.evidence, ProductVersion.product)))
    items = list(db.session.scalars(statement.limit(query.per_page).offset((query.page - 1) * query.per_page))
                 .unique())
    return Page(items=items, total=total, page=query.page, per_page=query.per_page, sort=sort, facets=facets,
                exact=exact)
