"""Catalog search on fixed data: Chinese and English matching, ranking, facets, sorting, paging, freshness.

The same tests run on SQLite (FTS5) and PostgreSQL (tsvector + GIN) in CI: both must behave alike.
"""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select, text

from marketplace.catalog import index, search, search_index
from marketplace.catalog import services as catalog
from marketplace.catalog.models import Listing
from marketplace.extensions import db


@pytest.fixture(scope="module")
def shelf(shelf_app):
    return shelf_app[2]


@pytest.fixture(scope="module")
def world(shelf_app):
    return shelf_app[1]


@pytest.fixture
def client(shelf_app):
    return shelf_app[0].test_client()


def _ids(shelf, **kw):
    found = search.search_listings(search.Query(**kw))
    names = {product_id: key for key, product_id in shelf.items()}
    return [names[listing.product_id] for listing in found.items]


def _page(**kw):
    return search.search_listings(search.Query(**kw))


def test_two_character_chinese_finds_titles_first_then_descriptions(shelf):
    ranked = _ids(shelf, q="陈皮")
    assert set(ranked) == {"chenpi", "warehouse", "weather"}
    assert ranked[-1] == "weather", "a description-only match ranks below title matches"
    assert _ids(shelf, q="社保") == ["social"]
    assert set(_ids(shelf, q="电力")) == {"power", "load"}


def test_one_character_queries_match_titles(shelf):
    assert set(_ids(shelf, q="电")) == {"power", "load"}
    assert _ids(shelf, q="柑") == ["weather"]


def test_longer_chinese_needs_every_bigram(shelf):
    assert _ids(shelf, q="电力负荷") == ["load"]
    assert _ids(shelf, q="陈皮溯源") == ["chenpi"]
    assert _ids(shelf, q="陈皮期货") == []


def test_english_and_mixed_queries(shelf):
    assert set(_ids(shelf, q="chenpi")) == {"chenpi", "warehouse"}
    assert _ids(shelf, q="社保 loan") == ["social"]
    assert _ids(shelf, q="LOANS") == ["social"], "case and plural fold"
    assert _ids(shelf, q="social insurance") == ["social"]
    # Every listing's field dictionary mentions electricity; the one with it in the title comes first.
    ranked = _ids(shelf, q="electricity")
    assert len(ranked) == 6 and ranked[0] == "power"


def test_facets_count_every_filter_but_their_own(shelf, world):
    page = _page(q="陈皮", filters={"sector": "agriculture"})
    assert page.total == 2
    assert dict(page.facets["sector"]) == {"agriculture": 2, "natural_resources": 1}, "own filter not applied"
    assert dict(page.facets["product_type"]) == {"dataset": 1, "api": 1}
    assert dict(page.facets["pricing"]) == {"subscription": 1, "free": 1}
    assert dict(page.facets["provider"]) == {world.provider_a.uscc: 1, world.provider_b.uscc: 1}

    both = _page(filters={"sector": "energy", "delivery": "aggregate"})
    assert both.total == 1 and [listing.product_id for listing in both.items] == [shelf["power"]]
    assert dict(both.facets["delivery"]) == {"api": 1, "file": 1, "aggregate": 1}, "among energy listings"


def _recount(filters: dict) -> tuple[int, dict]:
    """Total and facets counted over every listed listing, the reference for the faster paths."""
    cube = select(*search.CUBE, func.count()).where(Listing.state == "listed").group_by(*search.CUBE)
    rows = Counter({tuple(row[:-1]): row[-1] for row in db.session.execute(cube)})
    total, counts, _matched = search._accumulate(rows, filters | search._provider_ids(filters))
    return total, search._named(counts)


def test_browse_counts_from_the_maintained_table_equal_a_full_recount(shelf):
    # Browsing reads catalog_facet_counts; a text query counts matching rows. Both must agree everywhere.
    for filters in [{}, {"sector": "energy"}, {"pricing": "negotiable"}, {"venue": "agriculture"},
                    {"delivery": "api"}, {"security_level": "general"}]:
        maintained = _page(filters=filters)
        assert (maintained.total, maintained.facets) == _recount(filters), filters
    assert _page().total == 6


def test_browse_with_several_filters_counts_like_a_full_recount(shelf, world):
    # Two filters read the other filter's maintained view for each filtered facet; three or more group the
    # listings meeting every other filter. Both must equal a recount of the whole catalog.
    a, b = world.provider_a.uscc, world.provider_b.uscc
    cases = [
        {"sector": "energy", "delivery": "api"},
        {"sector": "agriculture", "pricing": "free"},
        {"provider": a, "delivery": "api"},
        {"pricing": "negotiable", "provider": b},
        {"venue": "main", "sector": "energy"},
        {"delivery": "aggregate", "pricing": "per_call"},
        {"provider": "91000000000000000X", "sector": "energy"},
        {"sector": "energy", "delivery": "api", "provider": a},
        {"delivery": "api", "pricing": "per_call", "venue": "social_security"},
        {"product_type": "api", "delivery": "api", "pricing": "free", "provider": b},
        {"sector": "agriculture", "delivery": "file", "security_level": "general"},
        {"sector": "energy", "delivery": "api", "provider": b},
    ]
    for filters in cases:
        page = _page(filters=filters)
        assert (page.total, page.facets) == _recount(filters), filters
    none = _page(filters={"sector": "energy", "delivery": "api", "provider": b})
    assert none.total == 0 and none.items == []
    assert dict(none.facets["provider"]) == {a: 1}, "the energy API listings by provider, B's own filter aside"


def test_sorting_and_paging(shelf):
    assert _ids(shelf, sort="price_asc") == ["warehouse", "social", "power", "load", "chenpi", "weather"]
    assert _ids(shelf, sort="price_desc") == ["chenpi", "load", "power", "social", "warehouse", "weather"]
    assert _ids(shelf) == ["weather", "load", "social", "power", "warehouse", "chenpi"], "newest first"
    pages = [_ids(shelf, page=n, per_page=4) for n in (1, 2, 3)]
    assert pages[0] + pages[1] == _ids(shelf) and pages[2] == []
    assert _page(q="陈皮").sort == "relevance" and _page().sort == "newest"


def test_the_public_api(client, shelf, world):
    body = client.get("/api/v1/listings", query_string={"q": "陈皮", "sector": "agriculture"}).json
    assert set(body) >= {"items", "total", "page", "per_page", "facets"}
    assert body["total"] == 2 and body["facets"]["sector"] == {"agriculture": 2, "natural_resources": 1}
    assert client.get("/api/v1/listings", query_string={"provider": world.provider_b.uscc}).json["total"] == 3
    assert client.get("/api/v1/listings", query_string={"pricing": "free", "delivery": "api"}).json["total"] == 1
    bad = client.get("/api/v1/listings?sort=cheapest")
    assert bad.status_code == 422 and "sort" in str(bad.json["errors"])


def test_the_text_match_is_index_backed(shelf):
    hits = search_index.hits(["陈皮"], db.engine.dialect.name)
    sql = select(hits.c.listing_id).compile(db.engine, compile_kwargs={"literal_binds": True})
    if db.engine.dialect.name == "sqlite":
        plan = db.session.execute(text(f"EXPLAIN QUERY PLAN {sql}")).all()
        assert any("VIRTUAL TABLE INDEX" in row[-1] for row in plan), plan
    else:
        db.session.execute(text("SET LOCAL enable_seqscan = off"))  # six rows would rather be scanned
        plan = db.session.execute(text(f"EXPLAIN {sql}")).scalars().all()
        db.session.rollback()
        assert any("ix_catalog_search_document" in line for line in plan), plan


def test_offers_carried_into_facets_and_prices(shelf):
    listing = catalog.get_listing(shelf["social"])
    assert [(o.pricing_mode, o.price_minor) for o in listing.offers] == [("per_call", 50), ("negotiable", None)]
    assert listing.min_price_minor == 50
    assert index.codes(listing.pricing_mask, index.PRICING_BITS) == ["per_call", "negotiable"]


def test_a_common_word_examines_only_the_newest_matches(shelf_app, shelf):
    app = shelf_app[0]
    default = app.config["MARKETPLACE_SEARCH_CANDIDATES"]
    app.config["MARKETPLACE_SEARCH_CANDIDATES"] = 3
    try:
        page = _page(q="electricity")  # in every listing's field dictionary: 6 matches, 3 examined
        assert page.exact is False
        if db.engine.dialect.name == "sqlite":
            assert page.total == 6, "SQLite counts its doclists exactly"
        else:
            assert page.total >= 4, "PostgreSQL estimates, but never below what it has seen"
        assert set(_ids(shelf, q="electricity")) == {"weather", "load", "social"}, "the newest three"
        assert sum(n for _value, n in page.facets["venue"]) == page.total, "facet counts are scaled to the total"
        filtered = _page(q="electricity", filters={"sector": "energy"})
        assert not filtered.exact and 1 <= filtered.total < page.total, "1 of 3 examined is energy"
        assert _page(q="陈皮").exact, "three matches, three examined: exact"
    finally:
        app.config["MARKETPLACE_SEARCH_CANDIDATES"] = default


def test_two_filters_over_many_listings_tally_only_the_newest(shelf_app, shelf):
    """The total and both filtered facets stay exact (maintained counts); the other facets come from the newest
    matches, scaled to the total, and the page says so."""
    app = shelf_app[0]
    filters = {"security_level": "general", "venue": "main"}
    total, facets = _recount(filters)
    assert _page(filters=filters).exact and _page(filters=filters).total == total >= 2
    default = app.config["MARKETPLACE_SEARCH_CANDIDATES"]
    app.config["MARKETPLACE_SEARCH_CANDIDATES"] = 1
    try:
        page = _page(filters=filters)
        assert page.exact is False and page.total == total
        assert page.facets["security_level"] == facets["security_level"]
        assert page.facets["venue"] == facets["venue"]
        assert sum(n for _value, n in page.facets["sector"]) == total, "one examined, scaled to the total"
    finally:
        app.config["MARKETPLACE_SEARCH_CANDIDATES"] = default


def test_every_facet_filtered_at_once_still_counts(shelf, world):
    filters = {"sector": "energy", "product_type": "dataset", "delivery": "api", "pricing": "one_off",
               "security_level": "general", "region": "440703", "provider": world.provider_a.uscc, "venue": "main"}
    page = _page(filters=filters)
    assert (page.total, page.facets) == _recount(filters)
