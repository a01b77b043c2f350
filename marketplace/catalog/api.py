"""Public JSON API of the catalog (stable contract 4)."""

from __future__ import annotations

from flask_smorest import Blueprint

from marketplace.catalog import services
from marketplace.catalog.schemas import ListingDetailSchema, ListingPageSchema, ListingQuerySchema

blueprint = Blueprint("catalog_api", __name__, url_prefix="/listings", description="The public catalog")


def _with_certificates(versions):
    numbers = services.certificate_numbers([v.id for v in versions])
    for version in versions:
        version.certificate_number = numbers.get(version.id)
    return versions


@blueprint.route("", methods=["GET"])
@blueprint.arguments(ListingQuerySchema, location="query")
@blueprint.response(200, ListingPageSchema)
def search(query):
    """Search registered products: `q`, `sector`, `product_type`, paging; facets with counts."""
    page = services.search_listings(q=query["q"], sector=query["sector"], product_type=query["product_type"],
                                    page=query["page"], per_page=query["per_page"])
    return {"items": _with_certificates(page.items), "total": page.total, "page": page.page,
            "per_page": page.per_page, "facets": {name: dict(counts) for name, counts in page.facets.items()}}


@blueprint.route("/<int:product_id>", methods=["GET"])
@blueprint.response(200, ListingDetailSchema)
def get_listing(product_id):
    """One registered product with its field dictionary and masked sample."""
    return _with_certificates([services.get_listing(product_id)])[0]
