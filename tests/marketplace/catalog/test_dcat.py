"""The DCAT catalog (GET /catalog.jsonld) and a listing's own JSON-LD, read back as RDF with rdflib."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, ODRL2, RDF, SKOS, XSD
from sqlalchemy import event

from marketplace.catalog import dcat, services
from marketplace.extensions import db
from tests.builders import listed

# rdflib's own JSON-LD parser builds a ConjunctiveGraph internally and warns about it (rdflib 7.1+).
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
NS = {"dcat": DCAT, "dct": DCTERMS, "odrl": ODRL2, "skos": SKOS, "hydra": HYDRA}
CNY = URIRef("http://publications.europa.eu/resource/authority/currency/CNY")


def dataset_iri(product) -> URIRef:
    return URIRef(f"http://localhost/listings/{product.id}#dataset")


def fetch(client, url: str = "/catalog.jsonld") -> Graph:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/ld+json"
    return Graph().parse(data=response.get_data(as_text=True), format="json-ld")


def offers_of(graph: Graph, dataset: URIRef) -> dict[str, URIRef]:
    """The dataset's offers by their English (or only) title."""
    found = {}
    for offer in graph.objects(dataset, ODRL2.hasPolicy):
        titles = {title.language: str(title) for title in graph.objects(offer, DCTERMS.title)}
        found[titles.get("en") or next(iter(titles.values()))] = offer
    return found


def test_the_catalog_holds_one_complete_dataset_per_listed_listing(client, world):
    first = listed(world.broker_a, world.reviewer)
    second = listed(world.broker_b, world.reviewer, name="江门港口吞吐量", name_en="Jiangmen port throughput",
                    sector="transport", delivery_modes=["file", "api"], time_range_start="2025-01-01",
                    time_range_end="2025-12-31", coverage_region="440700", update_frequency="monthly")
    suspended = listed(world.broker_a, world.reviewer, name="暂停的产品")
    delisted = listed(world.broker_a, world.reviewer, name="下架的产品")
    services.suspend_listing(suspended.id, reason="资料待补充", actor=world.admin)
    services.delist_listing(delisted.id, reason="停止供应", actor=world.admin)

    response = client.get("/catalog.jsonld")
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert client.get("/catalog.jsonld", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    graph = fetch(client)

    catalog = URIRef("http://localhost/catalog.jsonld")
    assert (catalog, RDF.type, DCAT.Catalog) in graph
    assert {title.language for title in graph.objects(catalog, DCTERMS.title)} == {"zh", "en"}
    assert set(graph.subjects(RDF.type, DCAT.Dataset)) == {dataset_iri(first), dataset_iri(second)}
    assert set(graph.objects(catalog, DCAT.dataset)) == {dataset_iri(first), dataset_iri(second)}

    incomplete = graph.query("""
        SELECT ?dataset WHERE {
          ?dataset a dcat:Dataset .
          FILTER NOT EXISTS {
            ?dataset dct:title ?title ; dct:description ?description ; dct:publisher ?publisher ;
                     dcat:theme ?theme ; dcat:distribution ?distribution ; odrl:hasPolicy ?offer .
            ?publisher dct:identifier ?uscc .
            ?theme skos:prefLabel ?label .
            ?distribution a dcat:Distribution ; dcat:accessURL ?access .
            ?offer a odrl:Offer ; odrl:target ?dataset ; odrl:assigner ?publisher .
          }
        }""", initNs=NS)
    assert list(incomplete) == []

    ds = dataset_iri(second)
    assert graph.value(graph.value(ds, DCTERMS.publisher), DCTERMS.identifier) == Literal(world.provider_b.uscc)
    assert Literal("Jiangmen port throughput", lang="en") in set(graph.objects(ds, DCTERMS.title))
    assert URIRef("http://publications.europa.eu/resource/authority/data-theme/TRAN") in set(
        graph.objects(ds, DCAT.theme))
    assert graph.value(ds, DCAT.landingPage) == URIRef(f"http://localhost/listings/{second.id}")
    services_ = [graph.value(d, DCAT.accessService) for d in graph.objects(ds, DCAT.distribution)]
    assert len(services_) == 2 and (next(s for s in services_ if s), RDF.type, DCAT.DataService) in graph
    period = graph.value(ds, DCTERMS.temporal)
    assert graph.value(period, DCAT.startDate) == Literal("2025-01-01", datatype=XSD.date)
    assert graph.value(period, DCAT.endDate) == Literal("2025-12-31", datatype=XSD.date)
    assert graph.value(graph.value(ds, DCTERMS.spatial), DCTERMS.identifier) == Literal("440700")
    identifiers = {str(value) for value in graph.objects(ds, DCTERMS.identifier)}
    assert str(second.id) in identifiers and any(value.startswith("JMDE-") for value in identifiers)


def test_prices_are_exact_decimals_and_terms_are_durations(client, world):
    product = listed(world.broker_a, world.reviewer, offers=[
        {"name": "一次性购买", "name_en": "One-off", "pricing_mode": "one_off", "price_minor": 1_200_050,
         "term_months": 12},
        {"name": "面议", "name_en": "Negotiable", "pricing_mode": "negotiable"},
        {"name": "免费试用", "name_en": "Trial", "pricing_mode": "free"},
    ])
    graph = fetch(client)
    offers = offers_of(graph, dataset_iri(product))
    assert set(offers) == {"One-off", "Negotiable", "Trial"}

    rows = list(graph.query("""
        SELECT ?amount ?unit ?term ?purpose WHERE {
          ?offer odrl:permission ?permission .
          ?permission odrl:action odrl:use ; odrl:duty ?duty .
          ?duty odrl:action odrl:compensate ; odrl:constraint ?price .
          ?price odrl:leftOperand odrl:payAmount ; odrl:rightOperand ?amount ; odrl:unit ?unit .
          ?permission odrl:constraint ?termc , ?purposec .
          ?termc odrl:leftOperand odrl:elapsedTime ; odrl:rightOperand ?term .
          ?purposec odrl:leftOperand odrl:purpose ; odrl:rightOperand ?purpose .
        }""", initNs=NS, initBindings={"offer": offers["One-off"]}))
    assert len(rows) == 1
    amount, unit, term, purpose = rows[0]
    assert str(amount) == "12000.50" and amount.datatype == XSD.decimal
    assert amount.toPython() == Decimal("12000.50")
    assert unit == CNY
    assert term == Literal("P12M", datatype=XSD.duration)
    assert graph.value(purpose, SKOS.notation) == Literal("credit_support")
    # No onward transfer (the default) is an ODRL prohibition on every offer.
    for offer in offers.values():
        prohibition = graph.value(offer, ODRL2.prohibition)
        assert graph.value(prohibition, ODRL2.action) == ODRL2.distribute

    negotiable_duties = list(graph.objects(graph.value(offers["Negotiable"], ODRL2.permission), ODRL2.duty))
    assert len(negotiable_duties) == 1 and graph.value(negotiable_duties[0], ODRL2.constraint) is None
    assert {d.language for d in graph.objects(negotiable_duties[0], DCTERMS.description)} == {"zh", "en"}
    assert graph.value(graph.value(offers["Trial"], ODRL2.permission), ODRL2.duty) is None


@pytest.mark.parametrize(("minor", "currency", "text"), [
    (1_200_050, "CNY", "12000.50"), (50, "CNY", "0.50"), (0, "CNY", "0.00"), (100, "USD", "1.00"),
    (10**12, "HKD", "10000000000.00"), (1200, "JPY", "1200"),
])
def test_pay_amount_keeps_every_minor_unit(minor, currency, text):
    assert str(dcat.pay_amount(minor, currency)) == text


def test_following_next_visits_every_listing_exactly_once(client, world):
    products = [listed(world.broker_a, world.reviewer, name=f"产品{i}") for i in range(5)]
    seen, pages, url = [], 0, "/catalog.jsonld?limit=2"
    while url:
        graph = fetch(client, url)
        pages += 1
        seen += list(graph.subjects(RDF.type, DCAT.Dataset))
        view = graph.value(predicate=RDF.type, object=HYDRA.PartialCollectionView, any=False)
        following = graph.value(view, HYDRA.next)
        assert following is None or str(following).startswith("http://localhost/catalog.jsonld?")
        url = following and str(following)
    assert pages == 3
    assert sorted(seen) == sorted(dataset_iri(product) for product in products)


def test_a_page_costs_the_same_queries_whatever_its_size(client, world):
    # Both requests read the catalog's stamp (httpcache.py), or neither would; here both do.
    client.application.config["MARKETPLACE_PUBLIC_STAMP_SECONDS"] = 0
    for i in range(3):
        listed(world.broker_a, world.reviewer, name=f"产品{i}")

    def statements(url: str) -> int:
        count = 0

        def counter(*_args):
            nonlocal count
            count += 1

        event.listen(db.engine, "before_cursor_execute", counter)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", counter)
        return count

    assert statements("/catalog.jsonld?limit=1") == statements("/catalog.jsonld?limit=3")


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "after=-1", "limit=ten"])
def test_bad_paging_is_refused(client, world, query):
    response = client.get(f"/catalog.jsonld?{query}", headers={"Accept": "application/ld+json"})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json", "a linked-data client gets a machine-readable error"


def test_the_listing_document_describes_the_same_dataset_as_the_catalog(app, client, world):
    product = listed(world.broker_a, world.reviewer)
    catalog = fetch(client)
    document = dcat.listing_document(services.get_listing(product.id))
    assert document["@context"] == dcat.CONTEXT
    own = Graph().parse(data=json.dumps(document, ensure_ascii=False), format="json-ld")

    ds = dataset_iri(product)
    assert set(own.subjects(RDF.type, DCAT.Dataset)) == {ds}
    assert (URIRef("http://localhost/catalog.jsonld"), DCAT.dataset, ds) in own

    def described(graph: Graph) -> set:
        return {(p, o) for p, o in graph.predicate_objects(ds) if not isinstance(o, BNode)}

    assert described(own) == described(catalog)
    assert len(list(own.objects(ds, ODRL2.hasPolicy))) == len(list(catalog.objects(ds, ODRL2.hasPolicy))) == 2
