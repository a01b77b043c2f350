"""Keeping a listing findable: its facet columns, its search document and the facet counts, in its transaction."""

from __future__ import annotations

from collections import Counter
from itertools import permutations

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from compliance import vocabulary
from marketplace.catalog import text
from marketplace.catalog.models import FacetCount, Listing, SearchDocument
from marketplace.extensions import db
from marketplace.registration.models import Certificate
from marketplace.registration.states import CertificateState

# Facets in the order the catalog shows them; delivery and pricing hold several values per listing.
FACETS = ("venue", "sector", "product_type", "delivery", "pricing", "security_level", "region", "provider")
DELIVERY_BITS = {code: 1 << i for i, code in enumerate(vocabulary.DELIVERY_MODES)}
PRICING_BITS = {code: 1 << i for i, code in enumerate(vocabulary.PRICE_MODES)}


def codes(mask: int, bits: dict[str, int]) -> list[str]:
    return [code for code, bit in bits.items() if mask & bit]


def facet_values(listing: Listing) -> list[tuple[str, str]]:
    """(facet, value) pairs of a listing as counted; the provider is named by its USCC."""
    pairs = [("venue", listing.venue), ("sector", listing.sector), ("product_type", listing.product_type),
             ("security_level", listing.security_level), ("region", listing.region),
             ("provider", listing.organization.uscc)]
    pairs += [("delivery", code) for code in codes(listing.delivery_mask, DELIVERY_BITS)]
    pairs += [("pricing", code) for code in codes(listing.pricing_mask, PRICING_BITS)]
    return [(facet, value) for facet, value in pairs if value]


def count_rows(pairs: list[tuple[str, str]]) -> Counter:
    """The FacetCount rows one listing adds to: the whole catalog's, and each one-filter view's."""
    rows = Counter(("", facet, value) for facet, value in pairs)
    for (f1, v1), (f2, v2) in permutations(pairs, 2):
        if f1 != f2:
            rows[(f"{f1}={v1}", f2, v2)] += 1
    return rows


def document_terms(*, name: str, name_en: str, provider: str, provider_en: str, scenarios: list[str],
                   sector: str, product_type: str, field_dictionary: list[dict], description: str) -> dict[str, str]:
    """The search document of a listing, one space-separated term string per weighted field (pure)."""
    labels = [vocabulary.label(vocab, code, lang) for lang in ("zh", "en")
              for vocab, codes_ in ((vocabulary.SCENARIOS, scenarios), (vocabulary.SECTORS, [sector]),
                                    (vocabulary.PRODUCT_TYPES, [product_type])) for code in codes_]
    fields = [f"{f.get('name', '')} {f.get('description', '')}" for f in field_dictionary]
    return {
        "title_terms": " ".join(text.terms(f"{name} {name_en}", unigrams=True)),
        "tag_terms": " ".join(text.terms(" ".join([provider, provider_en, *labels]), unigrams=True)),
        "field_terms": " ".join(text.terms(" ".join(fields), unigrams=True)),
        "text_terms": " ".join(text.terms(description, unigrams=False)),
    }


def document(listing: Listing) -> dict[str, str]:
    version, org = listing.version, listing.organization
    return document_terms(name=version.name, name_en=version.name_en, provider=org.name, provider_en=org.name_en,
                          scenarios=version.scenarios, sector=version.sector, product_type=version.product_type,
                          field_dictionary=version.field_dictionary, description=version.description)


def _copy_facets(listing: Listing) -> None:
    version, offers = listing.version, listing.offers
    listing.org_id = listing.product.org_id
    listing.sector, listing.product_type = version.sector, version.product_type
    listing.security_level, listing.region = version.security_level, version.coverage_region
    listing.delivery_mask = sum(DELIVERY_BITS.get(code, 0) for code in set(version.delivery_modes))
    listing.pricing_mask = sum(PRICING_BITS.get(code, 0) for code in {offer.pricing_mode for offer in offers})
    prices = [offer.price_minor for offer in offers if offer.price_minor is not None]
    listing.min_price_minor = min(prices) if prices else None
    listing.sort_name = version.name
    listing.certificate_number = db.session.scalar(select(Certificate.number).where(
        Certificate.version_id == version.id, Certificate.status == CertificateState.VALID))


def _apply(deltas: Counter) -> None:
    rows = sorted((key, n) for key, n in deltas.items() if n)  # a fixed order: concurrent writers never deadlock
    if not rows:
        return
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(FacetCount).values([
        {"filter_key": key[0], "facet": key[1], "value": key[2], "n": n} for key, n in rows])
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["filter_key", "facet", "value"], set_={"n": FacetCount.n + statement.excluded.n}))


def refresh(listing: Listing) -> None:
    """Bring the listing's facet columns, search document and the facet counts in line with its state.

    Call after any change to the listing's state, served version or offers, inside the same unit of work."""
    db.session.flush()
    existing = db.session.get(SearchDocument, listing.id)
    before = count_rows([tuple(pair) for pair in existing.facets]) if existing is not None else Counter()
    _copy_facets(listing)
    if listing.is_listed:
        pairs = facet_values(listing)
        after = count_rows(pairs)
        if existing is None:
            db.session.add(SearchDocument(listing_id=listing.id, facets=pairs, **document(listing)))
        else:
            for name, value in document(listing).items():
                setattr(existing, name, value)
            existing.facets = pairs
    else:
        after = Counter()
        if existing is not None:
            db.session.delete(existing)
    deltas = Counter(after)
    deltas.subtract(before)
    db.session.flush()
    _apply(deltas)


def rebuild() -> int:
    """Recount every facet and rewrite every listed listing's document (after a bulk load or a repair)."""
    db.session.execute(delete(FacetCount))
    db.session.execute(delete(SearchDocument))
    total = Counter()
    count = 0
    for listing in db.session.scalars(select(Listing).where(Listing.state == "listed")):
        _copy_facets(listing)
        pairs = facet_values(listing)
        db.session.add(SearchDocument(listing_id=listing.id, facets=pairs, **document(listing)))
        total.update(count_rows(pairs))
        count += 1
    db.session.flush()
    _apply(total)
    return count
