"""The public catalog as DCAT 3 / DCAT-AP JSON-LD, offers as ODRL (filled in by the DCAT work)."""

from __future__ import annotations


def listing_document(listing) -> dict:
    """JSON-LD of one listing (a dcat:Dataset with its distributions and odrl:Offer offers)."""
    return {"@context": {"dcat": "http://www.w3.org/ns/dcat#"}, "@type": "dcat:Dataset"}
