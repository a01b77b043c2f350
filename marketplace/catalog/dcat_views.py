"""The machine-readable catalog: GET /catalog.jsonld, DCAT 3 with ODRL offers, paged by listing id."""

from __future__ import annotations

import json

from flask import Blueprint, current_app, request
from flask_babel import gettext as _
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from marketplace.catalog import dcat
from marketplace.errors import ValidationFailed

blueprint = Blueprint("dcat", __name__)


class CatalogPageQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE  # ?lang= and cache-busting parameters are not errors

    after = fields.Integer(load_default=0, validate=validate.Range(min=0),
                           metadata={"description": "The last listing id of the previous page (keyset paging)."})
    limit = fields.Integer(load_default=dcat.DEFAULT_LIMIT, validate=validate.Range(min=1, max=dcat.MAX_LIMIT))


@blueprint.route("/catalog.jsonld")
def catalog():
    try:
        query = CatalogPageQuerySchema().load(request.args)
    except ValidationError as exc:
        raise ValidationFailed(_("Not valid."), errors=exc.messages) from None
    document = dcat.catalog_document(dcat.catalog_page(**query))
    response = current_app.response_class(json.dumps(document, ensure_ascii=False, separators=(",", ":")),
                                          mimetype="application/ld+json")
    response.headers["Cache-Control"] = "public, max-age=60"
    response.add_etag()
    return response.make_conditional(request)
