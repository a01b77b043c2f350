"""The benchmark's synthetic catalog, bulk-loaded, is what the services would build, and search finds it.

bench/catalog_data.py writes catalog_search, the full-text index and catalog_facet_counts itself (COPY or
executemany, indexes created after the load). These tests load a few hundred generated listings, take a
snapshot, run the app's own `index.rebuild()` and require the same documents, facet counts, full-text index
and search results; and they check that the query terms the benchmark uses are found where the generated
text holds them.
"""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select, text

from marketplace.catalog import index
from marketplace.catalog import text as catalog_text
from marketplace.catalog.models import FacetCount, Listing, SearchDocument
from marketplace.catalog.search import Query, search_listings
from marketplace.extensions import db
from tests.fixtures import _postgres_schema, app  # noqa: F401  (the fixtures of this module)

ROOT = Path(__file__).resolve().parents[2]
SIZE = 400
QUERIES = ["陈皮", "社保", "电", "电力 负荷", "社保 loan", "credit", "social insurance", "金融", "江门", "api"]
LISTING_FACETS = ("org_id", "sector", "product_type", "security_level", "region", "venue", "delivery_mask",
                  "pricing_mask", "min_price_minor", "sort_name", "certificate_number")


@pytest.fixture(scope="module")
def catalog_data():
    spec = importlib.util.spec_from_file_location("catalog_data", ROOT / "bench" / "catalog_data.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("catalog_data", module)
    spec.loader.exec_module(module)
    return module


def _documents() -> dict:
    return {d.listing_id: (d.title_terms, d.tag_terms, d.field_terms, d.text_terms, [list(p) for p in d.facets])
            for d in db.session.scalars(select(SearchDocument))}


def _counts() -> dict:
    return {(c.filter_key, c.facet, c.value): c.n for c in db.session.scalars(select(FacetCount)) if c.n}


def _listing_facets() -> dict:
    return {listing.id: tuple(getattr(listing, name) for name in LISTING_FACETS)
            for listing in db.session.scalars(select(Listing))}


def _engine_index() -> object:
    """The database's own full-text index, as data: FTS5's (term, listing, column) rows, or the tsvectors."""
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("CREATE VIRTUAL TABLE IF NOT EXISTS temp.catalog_vocab "
                                "USING fts5vocab(main, catalog_fts, instance)"))
        return sorted(db.session.execute(text("SELECT term, doc, col FROM temp.catalog_vocab")).all())
    return dict(db.session.execute(text("SELECT listing_id, CAST(document AS text) FROM catalog_search")).all())


def _search(q: str, **filters) -> tuple[int, list[int], dict]:
    page = search_listings(Query(q=q, filters=filters, per_page=50))
    return page.total, [item.id for item in page.items], page.facets


@pytest.mark.usefixtures("app")
def test_bulk_load_equals_what_rebuild_computes(catalog_data):
    spec = catalog_data.Spec(SIZE, seed=7)
    db.session.commit()
    loaded = catalog_data.load(db.engine, spec)
    assert loaded["rows"]["listings"] == SIZE
    assert loaded["rows"]["organizations"] == spec.organizations

    documents, counts, facets = _documents(), _counts(), _listing_facets()
    engine_index = _engine_index()
    searches = {q: _search(q) for q in QUERIES}
    searches["sector=finance"] = _search("", sector="finance")
    searches["电力 & delivery=api"] = _search("电力", delivery="api")
    assert len(documents) == len(facets) == SIZE
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("INSERT INTO catalog_fts(catalog_fts, rank) VALUES ('integrity-check', 1)"))
    db.session.commit()

    assert index.rebuild() == SIZE
    db.session.commit()
    db.session.expire_all()

    assert _documents() == documents
    assert _counts() == counts
    assert _listing_facets() == facets
    assert _engine_index() == engine_index
    assert {q: _search(q) if "=" not in q else None for q in QUERIES} == \
        {q: searches[q] for q in QUERIES}
    assert _search("", sector="finance") == searches["sector=finance"]
    assert _search("电力", delivery="api") == searches["电力 & delivery=api"]


@pytest.mark.usefixtures("app")
def test_search_finds_the_listings_whose_text_holds_the_terms(catalog_data):
    spec = catalog_data.Spec(SIZE, seed=11)
    db.session.commit()
    catalog_data.load(db.engine, spec)
    documents = _documents()
    held = Counter()
    for q in QUERIES:
        terms = catalog_text.query_terms(q)
        expected = {listing_id for listing_id, fields in documents.items()
                    if set(terms) <= set(" ".join(fields[:4]).split())}
        total, _ids, _facets = _search(q)
        assert total == len(expected), q
        held[q] = total
    # The generator's vocabulary is realistic: the common terms are found, the rare ones are rare.
    assert 0 < held["社保"] < SIZE * 0.15
    assert held["电"] > held["电力 负荷"] > 0
    assert held["陈皮"] < SIZE * 0.03
    assert held["credit"] < SIZE * 0.5
