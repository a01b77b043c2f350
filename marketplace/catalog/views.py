"""HTML views of the public catalog: search with facets, and one registered product's listing page."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from marshmallow import ValidationError

from marketplace.catalog import services
from marketplace.catalog.schemas import ListingQuerySchema
from marketplace.errors import ValidationFailed

blueprint = Blueprint("catalog", __name__)

PER_PAGE = 20


@blueprint.route("/")
def home():
    raw = {name: value.strip() for name, value in request.args.items()
           if name in ("q", "sector", "product_type", "page") and value.strip()}
    try:
        query = ListingQuerySchema().load(raw)
    except ValidationError as exc:
        raise ValidationFailed(_("The search is not valid."), errors=exc.messages) from None
    filters = {name: query[name] for name in ("q", "sector", "product_type")}
    found = services.search_listings(**filters, page=query["page"], per_page=PER_PAGE)
    numbers = services.certificate_numbers([version.id for version in found.items])
    return render_template("catalog/home.html", found=found, filters=filters, numbers=numbers)


@blueprint.route("/listings/<int:product_id>")
def listing(product_id: int):
    version = services.get_listing(product_id)
    numbers = services.certificate_numbers([version.id])
    return render_template("catalog/listing.html", version=version, number=numbers.get(version.id))
