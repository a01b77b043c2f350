"""JSON API of the catalog: public search and listings (stable contract 4), and listing them (brokers, admins)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_smorest import Blueprint

from marketplace import httpcache
from marketplace.accounts.guard import api_actor
from marketplace.catalog import search, services
from marketplace.catalog.schemas import (
    FILTERS,
    ListingCreateSchema,
    ListingDetailSchema,
    ListingModerationSchema,
    ListingPageSchema,
    ListingQuerySchema,
    OwnListingSchema,
)
from marketplace.errors import NotFound

blueprint = Blueprint("catalog_api", __name__, url_prefix="/listings", description="The public catalog")
listing_blueprint = Blueprint("listing_api", __name__, url_prefix="/products",
                              description="Listing registered products with offers")


def search_query(args: dict) -> search.Query:
    return search.Query(q=args["q"] or "", filters={name: args[name] for name in FILTERS if args.get(name)},
                        sort=args["sort"], page=args["page"], per_page=args["per_page"])


@blueprint.route("", methods=["GET"])
@httpcache.public(stamp=services.catalog_modified_at)
@blueprint.arguments(ListingQuerySchema, location="query")
@blueprint.response(200, ListingPageSchema)
def search_listings(args):
    """Search listed products: free text (Chinese and English), filters, facets with counts, sorting, paging."""
    found = search.search_listings(search_query(args))
    return {"items": found.items, "total": found.total, "page": found.page, "per_page": found.per_page,
            "sort": found.sort, "exact": found.exact,
            "facets": {name: dict(values) for name, values in found.facets.items()}}


@blueprint.route("/<int:product_id>", methods=["GET"])
@httpcache.public(stamp=services.catalog_modified_at)
@blueprint.response(200, ListingDetailSchema)
def get_listing(product_id):
    """One listed product with its offers, field dictionary and masked sample."""
    listing = services.get_listing(product_id)
    httpcache.modified(listing.updated_at)
    return listing


@listing_blueprint.route("/<int:product_id>/listing", methods=["POST"])
@listing_blueprint.doc(security=[{"oauth2": ["listings"]}, {"session": []}])
@listing_blueprint.arguments(ListingCreateSchema)
@listing_blueprint.response(200, OwnListingSchema)
def list_product(data, product_id):
    """List a registered product with its offers; on a live listing, replace its offers and venue."""
    return services.list_product(product_id, actor=api_actor("listings"), **data)


@listing_blueprint.route("/<int:product_id>/listing", methods=["GET"])
@listing_blueprint.doc(security=[{"oauth2": ["listings"]}, {"session": []}])
@listing_blueprint.response(200, OwnListingSchema)
def get_own_listing(product_id):
    """The product's live listing as its broker or the exchange sees it, suspended ones included."""
    listing = services.listing_of(product_id, actor=api_actor("listings"))
    if listing is None:
        raise NotFound(_("This product has no listing."))
    return listing


def _moderation(name: str, use_case):
    @listing_blueprint.route(f"/<int:product_id>/listing/{name}", methods=["POST"], endpoint=f"{name}_listing")
    @listing_blueprint.doc(security=[{"oauth2": ["listings"]}, {"session": []}],
                           summary=f"{name.capitalize()} a listing (reason required; the broker is told it)")
    @listing_blueprint.arguments(ListingModerationSchema)
    @listing_blueprint.response(200, OwnListingSchema)
    def view(data, product_id):
        return use_case(product_id, actor=api_actor("listings"), **data)
    return view


suspend = _moderation("suspend", services.suspend_listing)
relist = _moderation("relist", services.relist_listing)
delist = _moderation("delist", services.delist_listing)
