"""HTML views of the public catalog: search with facets, and one registered product's listing page."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from marketplace.catalog import services

blueprint = Blueprint("catalog", __name__)

PER_PAGE = 20


@blueprint.route("/")
def home():
    filters = {name: request.args.get(name, "").strip() or None for name in ("q", "sector", "product_type")}
    page = request.args.get("page", 1, type=int)
    found = services.search_listings(**filters, page=max(page or 1, 1), per_page=PER_PAGE)
    numbers = services.certificate_numbers([version.id for version in found.items])
    return render_template("catalog/home.html", found=found, filters=filters, numbers=numbers)


@blueprint.route("/listings/<int:product_id>")
def listing(product_id: int):
    version = services.get_listing(product_id)
    numbers = services.certificate_numbers([version.id])
    return render_template("catalog/listing.html", version=version, number=numbers.get(version.id))
