"""Marshmallow schemas of the public catalog."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.products.schemas import FieldDefinitionOutSchema


class ListingQuerySchema(Schema):
    q = fields.String(load_default=None, validate=validate.Length(max=200))
    sector = fields.String(load_default=None, validate=validate.Length(max=30))
    delivery = fields.String(load_default=None, validate=validate.Length(max=30))
    pricing = fields.String(load_default=None, validate=validate.Length(max=30))
    product_type = fields.String(load_default=None, validate=validate.Length(max=30))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class ListingSchema(Schema):
    id = fields.Integer(attribute="product_id")
    version = fields.Integer(attribute="number")
    name = fields.String()
    name_en = fields.String()
    provider = fields.String(attribute="product.organization.name")
    provider_uscc = fields.String(attribute="product.organization.uscc")
    product_type = fields.String()
    sector = fields.String()
    description = fields.String()
    scenarios = fields.List(fields.String())
    source_type = fields.String()
    coverage_region = fields.String()
    update_frequency = fields.String()
    security_level = fields.String()
    delivery_modes = fields.List(fields.String())
    holds_pi = fields.Boolean()
    deidentified = fields.Boolean()
    cross_border_allowed = fields.Boolean()
    certificate_number = fields.String(allow_none=True)
    offers = fields.List(fields.Dict(), dump_default=list)


class ListingDetailSchema(ListingSchema):
    field_dictionary = fields.List(fields.Nested(FieldDefinitionOutSchema))
    masked_sample = fields.Dict(attribute="masked_preview", allow_none=True)
    rights = fields.List(fields.String())
    usage_scope = fields.String()


class ListingPageSchema(Schema):
    items = fields.List(fields.Nested(ListingSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    facets = fields.Dict(keys=fields.String(), values=fields.Dict(keys=fields.String(), values=fields.Integer()))
