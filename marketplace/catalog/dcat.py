"""The public catalog as DCAT 3 / DCAT-AP JSON-LD, offers as ODRL.

One function, `_dataset`, describes a listing; the paged catalog (GET /catalog.jsonld) and the document
embedded in a listing's page both use it, so the two cannot drift. IRIs are absolute: a dataset is
`<listing page>#dataset`, and the exchange's own terms (sectors, scenarios, pricing modes, providers) are
fragments of the catalog's IRI, so documents harvested page by page merge into one graph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask import current_app, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import defaultload, raiseload

from compliance import vocabulary
from marketplace.catalog.models import Listing, Offer
from marketplace.catalog.states import ListingState
from marketplace.extensions import db
from marketplace.products.models import ProductVersion

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "odrl": "http://www.w3.org/ns/odrl/2/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "hydra": "http://www.w3.org/ns/hydra/core#",
    "org": "http://www.w3.org/ns/org#",
    "adms": "http://www.w3.org/ns/adms#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
}

DEFAULT_LIMIT, MAX_LIMIT = 100, 500

EU = "http://publications.europa.eu/resource/authority/"
EU_THEMES = EU + "data-theme"
# GB/T 43697 sectors onto the EU data themes, where one fits; "other" has none.
SECTOR_THEMES = {
    "finance": "ECON", "energy": "ENER", "health": "HEAL", "transport": "TRAN", "agriculture": "AGRI",
    "government": "GOVE", "industry": "ECON", "commerce": "ECON", "telecom": "TECH", "education": "EDUC",
    "social_security": "SOCI", "natural_resources": "ENVI", "culture_tourism": "EDUC",
}
FREQUENCIES = {
    "realtime": "UPDATE_CONT", "daily": "DAILY", "weekly": "WEEKLY", "monthly": "MONTHLY",
    "quarterly": "QUARTERLY", "yearly": "ANNUAL", "once": "NEVER",
}
BILLING_PERIODS = {"month": "P1M", "year": "P1Y"}
# ISO 4217 minor-unit digits where they are not 2 (none of the exchange's currencies today).
MINOR_DIGITS = {"JPY": 0, "KRW": 0, "BHD": 3, "KWD": 3, "OMR": 3}
NEGOTIABLE = [{"@value": "价格面议，不公开标价", "@language": "zh"},
              {"@value": "Price by negotiation; no list price", "@language": "en"}]

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_DIVISION_CODE = re.compile(r"^\d{6}$")  # GB/T 2260 administrative division


# Reading ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CatalogPage:
    listings: list[Listing]
    after: int
    limit: int
    next_after: int | None  # the `after` of the next page; None on the last
    issued_at: datetime | None
    modified_at: datetime | None


def catalog_page(*, after: int = 0, limit: int = DEFAULT_LIMIT) -> CatalogPage:
    """Listed listings with ids above `after`, in id order (keyset paging: each page costs the same)."""
    limit = max(1, min(limit, MAX_LIMIT))
    rows = db.session.scalars(
        select(Listing).where(Listing.state == ListingState.LISTED, Listing.id > after)
        .order_by(Listing.id).limit(limit + 1)
        # Version, organisation (joined) and offers (selectin) are loaded with the page; what the document
        # does not read is refused, so a later change cannot slip a query per listing in unnoticed.
        .options(raiseload(Listing.product),
                 defaultload(Listing.version).raiseload(ProductVersion.product),
                 defaultload(Listing.version).raiseload(ProductVersion.evidence))
    ).all()
    listings = rows[:limit]
    # Both read one end of an index (ix_listings_browse, ix_listings_updated): no scan at any catalog size.
    # Changing offers touches the listing's updated_at, so it covers offers too.
    issued_at, modified_at = db.session.execute(select(
        select(func.min(Listing.listed_at)).where(Listing.state == ListingState.LISTED).scalar_subquery(),
        select(func.max(Listing.updated_at)).scalar_subquery(),
    )).one()
    return CatalogPage(listings=listings, after=after, limit=limit,
                       next_after=listings[-1].id if len(rows) > limit else None,
                       issued_at=issued_at, modified_at=modified_at)


# Documents --------------------------------------------------------------------------------------------------

def catalog_document(page: CatalogPage) -> dict:
    """The catalog with one page of datasets and a hydra:PartialCollectionView to the next page."""
    iris = _Iris.current()
    config = current_app.config
    view = {
        "@id": _page_url(page.after, page.limit),
        "@type": "hydra:PartialCollectionView",
        "hydra:first": {"@id": _page_url(0, page.limit)},
    }
    if page.next_after is not None:
        view["hydra:next"] = {"@id": _page_url(page.next_after, page.limit)}
    return _compact({
        "@context": CONTEXT,
        "@id": iris.catalog,
        "@type": "dcat:Catalog",
        "dct:title": [{"@value": f"{config['MARKETPLACE_EXCHANGE_NAME']}数据产品目录", "@language": "zh"},
                      {"@value": f"{config['MARKETPLACE_EXCHANGE_NAME_EN']} data product catalog",
                       "@language": "en"}],
        "dct:publisher": _exchange(iris),
        "foaf:homepage": {"@id": iris.home},
        "dct:language": [{"@id": EU + "language/ZHO"}, {"@id": EU + "language/ENG"}],
        "dct:issued": _datetime(page.issued_at),
        "dct:modified": _datetime(page.modified_at),
        "dcat:themeTaxonomy": [_scheme(iris, "sectors", "行业", "Sectors"), {"@id": EU_THEMES}],
        "dcat:dataset": [_dataset(listing, iris) for listing in page.listings],
        "hydra:view": view,
    })


def listing_document(listing) -> dict:
    """JSON-LD of one listing (a dcat:Dataset with its distributions and odrl:Offer offers)."""
    iris = _Iris.current()
    return {"@context": CONTEXT, **_dataset(listing, iris),
            "@reverse": {"dcat:dataset": {"@id": iris.catalog, "@type": "dcat:Catalog"}}}


def pay_amount(price_minor: int, currency: str) -> Decimal:
    """The exact amount of `price_minor` minor units: 1200050 CNY is Decimal("12000.50")."""
    return Decimal(price_minor).scaleb(-MINOR_DIGITS.get(currency, 2))


# The dataset node -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Iris:
    catalog: str
    home: str

    @classmethod
    def current(cls) -> _Iris:
        return cls(catalog=url_for("dcat.catalog", _external=True), home=url_for("catalog.home", _external=True))

    def term(self, scheme: str, code: str = "") -> str:
        return f"{self.catalog}#{scheme}/{code}" if code else f"{self.catalog}#{scheme}"


def _dataset(listing: Listing, iris: _Iris) -> dict:
    version, org = listing.version, listing.organization
    landing = url_for("catalog.listing", product_id=listing.product_id, _external=True)
    dataset = f"{landing}#dataset"
    provider = iris.term("providers", org.uscc)
    number = listing.certificate_number
    theme = _concept(iris, "sectors", version.sector, vocabulary.SECTORS)
    themes = [theme]
    if version.sector in SECTOR_THEMES:
        theme["skos:closeMatch"] = {"@id": f"{EU_THEMES}/{SECTOR_THEMES[version.sector]}"}
        themes.append(theme["skos:closeMatch"])
    modified = max([listing.updated_at, *(offer.created_at for offer in listing.offers)])
    return _compact({
        "@id": dataset,
        "@type": "dcat:Dataset",
        "dct:identifier": [number, str(listing.product_id)],
        "adms:identifier": number and {"@type": "adms:Identifier", "skos:notation": number,
                                       "dct:creator": _exchange(iris)},
        "foaf:page": number and {"@id": url_for("registration.certificate", number=number, _external=True)},
        "rdfs:seeAlso": number and {"@id": url_for("registration_api.get_certificate", number=number,
                                                   _external=True)},
        "dct:title": _texts(version.name, version.name_en),
        "dct:description": _prose(version.description),
        "dct:publisher": {"@id": provider, "@type": ["foaf:Agent", "org:Organization"],
                          "foaf:name": _texts(org.name, org.name_en), "dct:identifier": org.uscc},
        "dct:type": _concept(iris, "product-types", version.product_type, vocabulary.PRODUCT_TYPES),
        "dcat:theme": themes,
        "dcat:keyword": [{"@value": vocabulary.label(vocabulary.SCENARIOS, code, lang), "@language": lang}
                         for code in version.scenarios for lang in ("zh", "en")],
        "dct:spatial": _location(version.coverage_region),
        "dct:temporal": _period(version.time_range_start, version.time_range_end),
        "dct:accrualPeriodicity": version.update_frequency in FREQUENCIES
        and {"@id": f"{EU}frequency/{FREQUENCIES[version.update_frequency]}"},
        "dcat:landingPage": {"@id": landing},
        "dcat:version": str(version.number),
        "dct:issued": _datetime(listing.listed_at),
        "dct:modified": _datetime(modified),
        "dcat:distribution": [_distribution(mode, version, landing, dataset) for mode in version.delivery_modes],
        "odrl:hasPolicy": [_offer(offer, version, iris, landing=landing, dataset=dataset, provider=provider)
                           for offer in listing.offers],
    })


def _distribution(mode: str, version: ProductVersion, landing: str, dataset: str) -> dict:
    node = {"@id": f"{landing}#distribution/{mode}", "@type": "dcat:Distribution",
            "dct:title": _labels(vocabulary.DELIVERY_MODES, mode), "dcat:accessURL": {"@id": landing}}
    if mode == "api":
        # The provider's endpoint is not published (a buyer reaches it through the exchange after a contract),
        # so the service names its landing page rather than a dcat:endpointURL.
        node["dcat:accessService"] = {"@id": f"{landing}#service", "@type": "dcat:DataService",
                                      "dct:title": _texts(version.name, version.name_en),
                                      "dcat:landingPage": {"@id": landing}, "dcat:servesDataset": {"@id": dataset}}
    return node


def _offer(offer: Offer, version: ProductVersion, iris: _Iris, *, landing: str, dataset: str, provider: str) -> dict:
    uid = f"{landing}#offer/{offer.id}"
    constraints = []
    if version.scenarios:
        constraints.append(_constraint("odrl:purpose", "odrl:isAnyOf", [
            _concept(iris, "scenarios", code, vocabulary.SCENARIOS) for code in version.scenarios]))
    if offer.term_months:
        constraints.append(_constraint("odrl:elapsedTime", "odrl:lteq",
                                       {"@value": f"P{offer.term_months}M", "@type": "xsd:duration"}))
    permission = {"@type": "odrl:Permission", "odrl:action": {"@id": "odrl:use"}, "odrl:constraint": constraints,
                  "odrl:duty": _payment(offer), "dct:description": _prose(offer.usage_scope)}
    return _compact({
        "@id": uid,
        "@type": "odrl:Offer",
        "odrl:uid": {"@id": uid},
        "dct:title": _texts(offer.name, offer.name_en),
        "dct:type": _concept(iris, "pricing-modes", offer.pricing_mode, vocabulary.PRICE_MODES),
        "odrl:assigner": {"@id": provider},
        "odrl:target": {"@id": dataset},
        "odrl:permission": [_compact(permission)],
        "odrl:prohibition": [{"@type": "odrl:Prohibition", "odrl:action": {"@id": "odrl:distribute"}}]
        if version.no_onward_transfer else [],
        "dct:rights": offer.licence.strip() and {"@type": "dct:RightsStatement", "rdfs:label": _prose(offer.licence)},
    })


def _payment(offer: Offer) -> list[dict]:
    """The compensate duty of an offer: none when free, an amount-less one when the price is negotiated."""
    if offer.pricing_mode == "free":
        return []
    duty = {"@type": "odrl:Duty", "odrl:action": {"@id": "odrl:compensate"}}
    if offer.price_minor is None:
        duty["dct:description"] = NEGOTIABLE
        return [duty]
    amount = _constraint("odrl:payAmount", "odrl:eq",
                         {"@value": str(pay_amount(offer.price_minor, offer.currency)), "@type": "xsd:decimal"})
    amount["odrl:unit"] = {"@id": f"{EU}currency/{offer.currency}"}
    duty["odrl:constraint"] = [amount]
    if offer.billing_period in BILLING_PERIODS:
        duty["odrl:constraint"].append(_constraint("odrl:timeInterval", "odrl:eq", {
            "@value": BILLING_PERIODS[offer.billing_period], "@type": "xsd:duration"}))
    if offer.pricing_mode in ("per_call", "subscription"):
        duty["dct:description"] = _labels(vocabulary.PRICE_MODES, offer.pricing_mode)
    return [duty]


# Small nodes and literals -----------------------------------------------------------------------------------

def _exchange(iris: _Iris) -> dict:
    config = current_app.config
    return {"@id": iris.term("exchange"), "@type": ["foaf:Agent", "org:Organization"],
            "foaf:name": _texts(config["MARKETPLACE_EXCHANGE_NAME"], config["MARKETPLACE_EXCHANGE_NAME_EN"]),
            "dct:identifier": config["MARKETPLACE_EXCHANGE_CODE"], "foaf:homepage": {"@id": iris.home}}


def _scheme(iris: _Iris, scheme: str, zh: str, en: str) -> dict:
    return {"@id": iris.term(scheme), "@type": "skos:ConceptScheme", "dct:title": _texts(zh, en)}


def _concept(iris: _Iris, scheme: str, code: str, vocab: vocabulary.Vocabulary) -> dict:
    return {"@id": iris.term(scheme, code), "@type": "skos:Concept", "skos:notation": code,
            "skos:prefLabel": _labels(vocab, code), "skos:inScheme": {"@id": iris.term(scheme)}}


def _constraint(left: str, operator: str, right) -> dict:
    return {"@type": "odrl:Constraint", "odrl:leftOperand": {"@id": left}, "odrl:operator": {"@id": operator},
            "odrl:rightOperand": right}


def _location(region: str) -> dict | None:
    region = region.strip()
    if not region:
        return None
    if _DIVISION_CODE.match(region):
        return {"@type": "dct:Location", "dct:identifier": region}
    return {"@type": "dct:Location", "skos:prefLabel": _prose(region)}


def _period(start: str, end: str) -> dict | None:
    if not (start or end):
        return None
    return _compact({"@type": "dct:PeriodOfTime",
                     "dcat:startDate": start and {"@value": start, "@type": "xsd:date"},
                     "dcat:endDate": end and {"@value": end, "@type": "xsd:date"}})


def _datetime(moment: datetime | None) -> dict | None:
    return moment and {"@value": moment.isoformat(timespec="seconds"), "@type": "xsd:dateTime"}


def _labels(vocab: vocabulary.Vocabulary, code: str) -> list[dict]:
    return [{"@value": vocabulary.label(vocab, code, lang), "@language": lang} for lang in ("zh", "en")]


def _texts(primary: str, english: str) -> list[dict]:
    """A name and its English form; the primary one is tagged by its script (brokers sometimes write English)."""
    texts = _prose(primary)
    if english.strip() and english.strip() != primary.strip():
        texts.append({"@value": english.strip(), "@language": "en"})
    return texts


def _prose(text: str) -> list[dict]:
    """Free text in whichever language it was written: Chinese if it has Han characters, English otherwise."""
    text = (text or "").strip()
    return [{"@value": text, "@language": "zh" if _HAN.search(text) else "en"}] if text else []


def _compact(node: dict) -> dict:
    """Leave out what a listing does not have (no empty lists, no nulls)."""
    return {key: value for key, value in node.items() if value not in (None, "", [], False)}


def _page_url(after: int, limit: int) -> str:
    return url_for("dcat.catalog", after=after or None, limit=limit, _external=True)
