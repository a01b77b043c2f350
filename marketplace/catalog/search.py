"""Searching the catalog: text relevance, filters, facets with counts, sorting and paging.

Facets are disjunctive, as shoppers expect: a facet's counts apply every filter but its own, so choosing
one sector still shows how many listings each other sector has. Counts come from the maintained
catalog_facet_counts when there is no text and at most one filter (browsing stays fast at any size). With
more filters, only listings meeting them are counted (and, with two, each filtered facet is the other
filter's maintained view); with text, the examined matches are.

A text query examines at most MARKETPLACE_SEARCH_CANDIDATES matches, the newest, so that a common word
costs the same at a million listings as at ten thousand (the approach of Elasticsearch's
track_total_hits and Algolia's exhaustive flags). When a query matches more, the page says so (`exact`
is false): the total is still exact, the results are the best of those newest matches, and filtered
totals and facet counts are scaled from them.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property

from flask import current_app
from sqlalchemy import bindparam, func, select, union_all

from marketplace.accounts.models import Organization
from marketplace.catalog import cards, search_index, text
from marketplace.catalog.index import DELIVERY_BITS, FACETS, PRICING_BITS, codes
from marketplace.catalog.models import FacetCount, Listing
from marketplace.catalog.states import ListingState
from marketplace.extensions import db

CELL = ("venue", "sector", "product_type", "security_level", "region", "provider")
SORTS = ("relevance", "newest", "price_asc", "price_desc", "name")
# Rows counted at a time when browsing with several filters (see _grouped_facets).
CHUNK = 500
# How many values a facet shows at most (most frequent first); the vocabularies are smaller than this.
FACET_SIZE = 20
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

    @cached_property
    def terms(self) -> list[str]:
        # Cached: a long Chinese query is segmented by jieba, and a search asks for its terms several times.
        return text.query_terms(self.q)

    @property
    def effective_sort(self) -> str:
        if self.sort and self.sort != "relevance":
            return self.sort
        return "relevance" if self.terms else "newest"


@dataclass(frozen=True)
class Page:
    items: list[cards.Card]
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


def _condition(facet: str, value):
    if facet in MASKED:
        column, bits = MASKED[facet]
        return getattr(Listing, column).op("&")(bits.get(value, 0)) != 0
    return getattr(Listing, COLUMNS[facet]) == value


def _where(statement, filters: dict[str, object]):
    for facet, value in filters.items():
        statement = statement.where(_condition(facet, value))
    return statement


def _ordered(statement, sort: str):
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


@cache
def _views_statement(facets: tuple[str, ...]):
    """One index-backed top-N read per facet (ix_facet_counts_top), the view of each a parameter.

    A million listings have ten thousand providers, and ranking all of them per request is what this table
    exists to avoid. Built once per set of facets: building and keying the statement costs more than running it."""
    parts = [select(FacetCount.facet, FacetCount.value, FacetCount.n)
             .where(FacetCount.filter_key == bindparam(f"view_{facet}"), FacetCount.facet == facet, FacetCount.n > 0)
             .order_by(FacetCount.n.desc(), FacetCount.value).limit(FACET_SIZE).subquery().select()
             for facet in facets]
    return union_all(*parts)


def _maintained(views: dict[str, str]) -> dict[str, Counter]:
    """The top values of each given facet in the maintained counts of a view (filter_key)."""
    facets: dict[str, Counter] = {facet: Counter() for facet in views}
    parameters = {f"view_{facet}": key for facet, key in views.items()}
    for facet, value, n in db.session.connection().execute(_views_statement(tuple(views)), parameters):
        facets[facet][value] = n
    return facets


def _counted_facets(filters: dict[str, str]) -> tuple[int, dict[str, list[tuple[str, int]]]]:
    """Total and facets from the maintained counts: no text, at most one filter."""
    own = {facet: "" for facet in FACETS}
    for facet, value in filters.items():
        for other in FACETS:
            if other != facet:
                own[other] = f"{facet}={value}"
    facets = _maintained(own)
    if filters:
        (facet, value), = filters.items()
        total = facets[facet].get(value, 0)
        if total == 0:  # beyond the top FACET_SIZE: ask for the one row
            total = db.session.scalar(select(FacetCount.n).where(
                FacetCount.filter_key == "", FacetCount.facet == facet, FacetCount.value == value)) or 0
    else:
        total = sum(facets["venue"].values())
    return total, {facet: _top(counts) for facet, counts in facets.items()}


CUBE = (Listing.venue, Listing.sector, Listing.product_type, Listing.security_level, Listing.region,
        Listing.org_id, Listing.delivery_mask, Listing.pricing_mask)
POSITION = {facet: i for i, facet in enumerate((*CELL, "delivery", "pricing"))}


@cache
def _codes(facet: str, mask: int) -> tuple[str, ...]:
    return tuple(codes(mask, MASKED[facet][1]))


def _holds(row, facet: str, value) -> bool:
    if facet in MASKED:
        return bool(row[POSITION[facet]] & MASKED[facet][1].get(value, 0))
    return row[POSITION[facet]] == value


def _values(facet: str, counted: Counter) -> Counter:
    """Counts by column value as counts by facet value: masks split into their codes, empty values left out."""
    if facet not in MASKED:
        return Counter({value: n for value, n in counted.items() if value})
    values: Counter = Counter()
    for mask, n in counted.items():
        for code in _codes(facet, mask):
            values[code] += n
    return values


def _tally(chunks: Iterable[Sequence[tuple]], facets: Sequence[str]) -> tuple[int, dict[str, Counter]]:
    """The number of rows and, per facet, their counts by column value (organisation ids for providers, masks
    for delivery and pricing), one C-level count per column and chunk; a row holds the facets' columns in order."""
    counted = {facet: Counter() for facet in facets}
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if not facets:
            continue
        for facet, column in zip(facets, zip(*chunk, strict=True), strict=True):
            counted[facet].update(column)
    return total, counted


def _accumulate(rows: Counter, filters: dict[str, object]) -> tuple[int, dict[str, Counter], int]:
    """Total, disjunctive facet counts and the unfiltered count over rows ({cube values: n}).

    A facet counts the rows that pass every filter but its own: those passing all of them, and those failing
    its filter alone. Providers are counted by organisation id here and named by USCC in _named."""
    passed: list[tuple] = []
    alone: dict[str, list[tuple]] = {facet: [] for facet in filters}
    for row in rows.elements():
        failed = [facet for facet, value in filters.items() if not _holds(row, facet, value)]
        if not failed:
            passed.append(row)
        elif len(failed) == 1:
            alone[failed[0]].append(row)
    _total, counted = _tally([passed] if passed else [], tuple(POSITION))
    for facet, failing in alone.items():
        counted[facet].update(row[POSITION[facet]] for row in failing)
    return len(passed), {facet: _values(facet, values) for facet, values in counted.items()}, rows.total()


def _named(counts: dict[str, Counter]) -> dict[str, list[tuple[str, int]]]:
    """The top values of each facet, providers named by their USCC."""
    top = {facet: _top(values) for facet, values in counts.items()}
    if "provider" not in top:
        return top
    org_ids = [org_id for org_id, _n in top["provider"]]
    uscc = dict(db.session.execute(select(Organization.id, Organization.uscc).where(
        Organization.id.in_(org_ids))).all()) if org_ids else {}
    top["provider"] = sorted(((uscc[org_id], n) for org_id, n in top["provider"] if org_id in uscc),
                             key=lambda item: (-item[1], item[0]))
    return top


def _scaled(counts: dict[str, Counter], factor: float) -> dict[str, Counter]:
    return {facet: Counter({value: max(1, round(n * factor)) for value, n in values.items() if n})
            for facet, values in counts.items()}


def _view_count(view: str, facet: str, value: str) -> int:
    """One maintained count: the listings in a one-filter view (filter_key) holding facet=value."""
    return db.session.scalar(select(FacetCount.n).where(
        FacetCount.filter_key == view, FacetCount.facet == facet, FacetCount.value == value)) or 0


def _grouped_facets(raw: dict[str, str], filters: dict[str, object],
                    limit: int) -> tuple[int, dict[str, list[tuple[str, int]]], bool]:
    """Total, facets and exactness with no text and two or more filters, counting only listings that meet filters.

    A facet without a filter counts the listings meeting every filter and a filtered facet those meeting every
    other filter. With two filters, the total and both filtered facets are maintained counts (the other
    filter's one-filter view), and the unfiltered facets are tallied over the newest `limit` listings meeting
    both, scaled when there are more (as a text search's are): at a million listings a pair of common values
    holds tens of thousands. With more filters, each facet is a pass over the listings concerned."""
    listed = Listing.state == ListingState.LISTED
    # Core rows tallied in Python (SQLite's GROUP BY would sort them), a chunk at a time: thousands of rows held
    # at once set off the garbage collector's full passes over the whole application (~100 ms each).
    unfiltered = [facet for facet in FACETS if facet not in filters]
    # With every facet filtered there is nothing to tally but the rows themselves.
    columns = select(*(CUBE[POSITION[facet]] for facet in unfiltered) if unfiltered else (Listing.id,)).where(listed)
    if len(filters) == 2:
        (first, first_value), (second, second_value) = raw.items()
        total = _view_count(f"{second}={second_value}", first, first_value)
        newest = _where(columns, filters).order_by(Listing.id.desc()).limit(limit)
        examined, counted = _tally(db.session.connection().execute(newest).partitions(CHUNK), unfiltered)
        counts = {facet: _values(facet, values) for facet, values in counted.items()}
        exact = examined >= total
        if not exact:
            counts = _scaled(counts, total / examined) if examined else counts
        counts |= _maintained({first: f"{second}={second_value}", second: f"{first}={first_value}"})
        # The views name providers by USCC already; only a counted provider facet needs naming.
        named = _named({facet: values for facet, values in counts.items() if facet not in filters})
        return total, {facet: named[facet] if facet in named else _top(counts[facet]) for facet in FACETS}, exact
    total, counted = _tally(db.session.connection().execute(_where(columns, filters)).partitions(CHUNK), unfiltered)
    counts = {facet: _values(facet, values) for facet, values in counted.items()}
    for facet in filters:
        column = CUBE[POSITION[facet]]
        others = {other: value for other, value in filters.items() if other != facet}
        counts[facet] = _values(facet, Counter(dict(db.session.execute(
            _where(select(column, func.count()).where(listed), others).group_by(column)).all())))
    named = _named(counts)
    return total, {facet: named[facet] for facet in FACETS}, True


SORT_KEYS = {
    "relevance": lambda row: (-row.score, -row.id),
    "newest": lambda row: -row.id,  # listing ids grow with listed_at (a listing is listed when created)
    "price_asc": lambda row: (row.min_price_minor is None, row.min_price_minor or 0, row.id),
    "price_desc": lambda row: (row.min_price_minor is None, -(row.min_price_minor or 0), row.id),
    "name": lambda row: (row.sort_name, row.id),
}


def _text_search(query: Query, filters: dict, limit: int):
    """Everything about a text query from its (at most `limit`) candidates, fetched once as narrow rows."""
    dialect = db.session.get_bind().dialect.name
    # One more than the limit, to know whether there were more.
    plan = search_index.plan_candidates(query.terms, limit + 1, db.session) if dialect == "postgresql" else None
    # Only a relevance sort reads the score: the others skip reading the term strings it is computed from.
    hits = search_index.candidates(query.terms, dialect, limit + 1, after=plan.after if plan else None,
                                   scored=query.effective_sort == "relevance")
    # Core rather than ORM execution: these are up to `limit` plain rows, not objects.
    rows = db.session.connection().execute(
        select(*CUBE, Listing.id, Listing.min_price_minor, Listing.sort_name, hits.c.score)
        .join(hits, hits.c.listing_id == Listing.id).where(Listing.state == ListingState.LISTED)).all()
    if plan is not None:
        search_index.unplan(plan, db.session)
    exact = len(rows) <= limit
    rows = rows if exact else sorted(rows, key=lambda row: -row.id)[:limit]
    total, counts, matched = _accumulate(Counter(tuple(row[:len(CUBE)]) for row in rows), filters)
    if not exact:
        everything = max(search_index.count(query.terms, dialect, db.session, examined=matched,
                                            oldest=rows[-1].id, plan=plan), matched + 1)
        factor = everything / matched
        counts = _scaled(counts, factor)
        total = everything if not filters else round(total * factor)
    kept = rows
    if filters:
        kept = [row for row in rows if all(_holds(row, facet, value) for facet, value in filters.items())]
    # Only the rows up to the end of the page are ranked (a page of 20 among 1,001 candidates).
    end = query.page * query.per_page
    ranked = heapq.nsmallest(end, kept, key=SORT_KEYS[query.effective_sort])
    return [row.id for row in ranked[end - query.per_page:]], total, counts, exact


def search_listings(query: Query) -> Page:
    raw = {facet: value for facet, value in query.filters.items() if value}
    filters = {**raw, **_provider_ids(raw)}
    sort, exact = query.effective_sort, True
    if query.terms:
        ids, total, counts, exact = _text_search(query, filters, current_app.config["MARKETPLACE_SEARCH_CANDIDATES"])
        facets = _named(counts)
    else:
        base = _where(select(Listing.id).where(Listing.state == ListingState.LISTED), filters)
        ids = list(db.session.scalars(_ordered(base, sort).limit(query.per_page)
                                      .offset((query.page - 1) * query.per_page)))
        if len(filters) <= 1:
            total, facets = _counted_facets(raw)
        else:
            total, facets, exact = _grouped_facets(raw, filters, current_app.config["MARKETPLACE_SEARCH_CANDIDATES"])
    return Page(items=cards.load_cards(ids), total=total, page=query.page, per_page=query.per_page, sort=sort,
                facets=facets, exact=exact)
