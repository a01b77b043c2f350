"""The machine-readable catalog: GET /catalog.jsonld, DCAT 3 with ODRL offers, paged by listing id."""

from __future__ import annotations

import json

from flask import Blueprint, current_app, request
from flask_babel import gettext as _
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from marketplace import httpcache
from marketplace.catalog import dcat, services
from marketplace.errors import ValidationFailed

blueprint = Blueprint("dcat", __name__)


class CatalogPageQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE  # ?lang= and cache-busting parameters are not errors

    after = fields.Integer(load_default=0, validate=validate.Range(min=0),
                           metadata={"description": "The last listing id of the previous page (keyset paging)."})
    limit = fields.Integer(load_default=dcat.DEFAULT_LIMIT, validate=validate.Range(min=1, max=dcat.MAX_LIMIT))


@blueprint.route("/catalog.jsonld")
@httpcache.public(stamp=services.catalog_modified_at)
def catalog():
    try:
        query = CatalogPageQuerySchema().load(request.args)
    except ValidationError as exc:
        raise ValidationFailed(_("Not valid."), errors=exc.messages) from None
    page = dcat.catalog_page(**query)
    httpcache.modified(page.modified_at)
    return current_app.response_class(json.dumps(dcat.catalog_document(page), ensure_ascii=False,
                                                 separators=(",", ":")), mimetype="application/ld+json")
