"""Marshmallow schemas of the catalog: search, listings with offers, and listing changes."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from compliance import vocabulary
from marketplace.catalog.search import SORTS
from marketplace.products.schemas import FieldDefinitionOutSchema

FILTERS = ("sector", "product_type", "delivery", "pricing", "security_level", "region", "provider", "venue")


class ListingQuerySchema(Schema):
    q = fields.String(load_default="", validate=validate.Length(max=200))
    sector = fields.String(load_default=None, validate=validate.Length(max=30))
    product_type = fields.String(load_default=None, validate=validate.Length(max=30))
    delivery = fields.String(load_default=None, validate=validate.Length(max=30))
    pricing = fields.String(load_default=None, validate=validate.Length(max=30))
    security_level = fields.String(load_default=None, validate=validate.Length(max=20))
    region = fields.String(load_default=None, validate=validate.Length(max=100))
    provider = fields.String(load_default=None, validate=validate.Length(max=18),
                             metadata={"description": "The provider's USCC (统一社会信用代码)."})
    venue = fields.String(load_default=None, validate=validate.Length(max=30))
    sort = fields.String(load_default=None, validate=validate.OneOf(SORTS),
                         metadata={"description": "Default: relevance with `q`, newest without."})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class OfferSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    name_en = fields.String()
    pricing_mode = fields.String()
    billing_period = fields.String()
    price_minor = fields.Integer(allow_none=True, metadata={"description": "Integer minor units (分 for CNY)."})
    currency = fields.String()
    term_months = fields.Integer(allow_none=True)
    licence = fields.String()
    usage_scope = fields.String()
    instant = fields.Boolean()


class OfferInSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    name_en = fields.String(load_default="", validate=validate.Length(max=200))
    pricing_mode = fields.String(required=True, validate=validate.OneOf(list(vocabulary.PRICE_MODES)))
    billing_period = fields.String(load_default="", validate=validate.OneOf(["", "month", "year"]))
    price_minor = fields.Integer(load_default=None, allow_none=True, strict=True,
                                 validate=validate.Range(min=0, max=10**12),
                                 metadata={"description": "Integer minor units (分 for CNY); none when negotiable."})
    currency = fields.String(load_default="CNY", validate=validate.Regexp(r"^[A-Z]{3}$"))
    term_months = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=120))
    licence = fields.String(load_default="", validate=validate.Length(max=2000))
    usage_scope = fields.String(load_default="", validate=validate.Length(max=2000))
    instant = fields.Boolean(load_default=False,
                             metadata={"description": "Access requests on this offer need no broker approval."})


class ListingCreateSchema(Schema):
    venue = fields.String(load_default="main", validate=validate.Length(max=30))
    offers = fields.List(fields.Nested(OfferInSchema), required=True)
    lock_version = fields.Integer(load_default=None, allow_none=True)


class ListingModerationSchema(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=2000))
    lock_version = fields.Integer(load_default=None, allow_none=True)


class ListingSchema(Schema):
    id = fields.Integer(attribute="product_id", metadata={"description": "The product id (stable across versions)."})
    listing_id = fields.Integer(attribute="id")
    state = fields.String()
    venue = fields.String()
    listed_at = fields.DateTime()
    version = fields.Integer(attribute="version.number")
    name = fields.String(attribute="version.name")
    name_en = fields.String(attribute="version.name_en")
    provider = fields.String(attribute="organization.name")
    provider_en = fields.String(attribute="organization.name_en")
    provider_uscc = fields.String(attribute="organization.uscc")
    product_type = fields.String()
    sector = fields.String()
    description = fields.String(attribute="version.description")
    scenarios = fields.List(fields.String(), attribute="version.scenarios")
    source_type = fields.String(attribute="version.source_type")
    coverage_region = fields.String(attribute="region")
    update_frequency = fields.String(attribute="version.update_frequency")
    security_level = fields.String()
    delivery_modes = fields.List(fields.String(), attribute="version.delivery_modes")
    holds_pi = fields.Boolean(attribute="version.holds_pi")
    deidentified = fields.Boolean(attribute="version.deidentified")
    cross_border_allowed = fields.Boolean(attribute="version.cross_border_allowed")
    certificate_number = fields.String(allow_none=True)
    offers = fields.List(fields.Nested(OfferSchema))


class ListingDetailSchema(ListingSchema):
    field_dictionary = fields.List(fields.Nested(FieldDefinitionOutSchema), attribute="version.field_dictionary")
    masked_sample = fields.Dict(attribute="version.masked_preview", allow_none=True)
    rights = fields.List(fields.String(), attribute="version.rights")
    usage_scope = fields.String(attribute="version.usage_scope")
    coverage_population = fields.String(attribute="version.coverage_population")
    time_range_start = fields.String(attribute="version.time_range_start")
    time_range_end = fields.String(attribute="version.time_range_end")
    scale = fields.String(attribute="version.scale")
    no_onward_transfer = fields.Boolean(attribute="version.no_onward_transfer")


class OwnListingSchema(ListingSchema):
    state_reason = fields.String()
    lock_version = fields.Integer()


class ListingPageSchema(Schema):
    items = fields.List(fields.Nested(ListingSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    sort = fields.String()
    exact = fields.Boolean(metadata={"description": "False when the text matched more listings than a search "
                                                    "examines: results are the best of the newest matches, and "
                                                    "filtered totals and facet counts are estimates."})
    facets = fields.Dict(keys=fields.String(), values=fields.Dict(keys=fields.String(), values=fields.Integer()),
                         metadata={"description": "Per facet, value → count (the 20 most frequent values). "
                                                  "Each facet applies every filter but its own."})
