"""Marshmallow schemas of products: what a draft may carry in, and what a product looks like out."""

from __future__ import annotations

import re

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from compliance import vocabulary

DATE_PATTERN = r"^([0-9]{4}-[0-9]{2}-[0-9]{2})?$"
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _one_of(vocab: dict) -> validate.OneOf:
    return validate.OneOf(list(vocab))


def _date_text(value: str) -> None:
    if value and not DATE.fullmatch(value):
        raise ValidationError("Use the form YYYY-MM-DD.")


class FieldDefinitionSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    type = fields.String(required=True, validate=_one_of(vocabulary.FIELD_TYPES))
    description = fields.String(load_default="", validate=validate.Length(max=500))
    pi = fields.Boolean(load_default=False)
    sensitive = fields.Boolean(load_default=False)
    quasi = fields.Boolean(load_default=None, allow_none=True,
                           metadata={"description": "A quasi-identifier for PI-04 (inferred when absent)."})
    direct = fields.Boolean(load_default=None, allow_none=True,
                            metadata={"description": "A direct identifier (inferred when absent)."})

    @validates_schema
    def _name_and_type_even_in_a_patch(self, data, **_kwargs):
        # A PATCH loads with partial=True, which marshmallow passes down to these items: a field still needs both.
        missing = [key for key in ("name", "type") if key not in data]
        if missing:
            raise ValidationError({key: ["Missing data for required field."] for key in missing})

    @post_load
    def _drop_unset(self, data, **_kwargs):
        return {key: value for key, value in data.items() if value is not None}


class ProductDraftSchema(Schema):
    """Input of POST /products and PATCH /products/{id} (partial) and of the HTML draft form."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    name_en = fields.String(load_default="", validate=validate.Length(max=200))
    product_type = fields.String(required=True, validate=_one_of(vocabulary.PRODUCT_TYPES))
    sector = fields.String(required=True, validate=_one_of(vocabulary.SECTORS))
    description = fields.String(load_default="", validate=validate.Length(max=10_000))
    scenarios = fields.List(fields.String(validate=_one_of(vocabulary.SCENARIOS)), load_default=list,
                            validate=validate.Length(max=20))
    source_type = fields.String(load_default="", validate=validate.OneOf(["", *vocabulary.SOURCE_TYPES]))
    source_description = fields.String(load_default="", validate=validate.Length(max=5_000))
    coverage_region = fields.String(load_default="", validate=validate.Length(max=100))
    coverage_population = fields.String(load_default="", validate=validate.Length(max=200))
    # The pattern documents `_date_text` in the OpenAPI document.
    time_range_start = fields.String(load_default="", validate=_date_text, metadata={"pattern": DATE_PATTERN})
    time_range_end = fields.String(load_default="", validate=_date_text, metadata={"pattern": DATE_PATTERN})
    scale = fields.String(load_default="", validate=validate.Length(max=200))
    update_frequency = fields.String(load_default="",
                                     validate=validate.OneOf(["", *vocabulary.UPDATE_FREQUENCIES]))
    field_dictionary = fields.List(fields.Nested(FieldDefinitionSchema), load_default=list,
                                   validate=validate.Length(max=500))
    holds_pi = fields.Boolean(load_default=False)
    sensitive_pi = fields.Boolean(load_default=False)
    deidentified = fields.Boolean(load_default=False)
    deidentification_method = fields.String(load_default="", validate=validate.Length(max=2_000))
    security_level = fields.String(load_default="", validate=validate.OneOf(["", *vocabulary.SECURITY_LEVELS]))
    delivery_modes = fields.List(fields.String(validate=_one_of(vocabulary.DELIVERY_MODES)), load_default=list)
    cross_border_allowed = fields.Boolean(load_default=False)
    rights = fields.List(fields.String(validate=_one_of(vocabulary.RIGHTS)), load_default=list)
    usage_scope = fields.String(load_default="", validate=validate.Length(max=5_000))
    no_onward_transfer = fields.Boolean(load_default=True)
    licence_term_months = fields.Integer(load_default=None, allow_none=True,
                                         validate=validate.Range(min=1, max=600))
    price_mode = fields.String(load_default="", validate=validate.OneOf(["", *vocabulary.PRICE_MODES]))
    api_endpoint = fields.String(load_default="", validate=validate.Length(max=500))
    pi_subjects = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0, max=2_000_000_000),
                                 metadata={"description": "Persons whose personal information it holds, per year."})
    lock_version = fields.Integer(load_default=None, allow_none=True,
                                  metadata={"description": "The lock_version you read; a stale one gives 409."})

    @validates_schema
    def _unique_field_names(self, data, **_kwargs):
        names = [f["name"] for f in data.get("field_dictionary") or [] if "name" in f]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValidationError(f"Duplicate field names: {', '.join(duplicates)}.", "field_dictionary")


class FieldDefinitionOutSchema(FieldDefinitionSchema):
    pass


class CheckResultSchema(Schema):
    code = fields.String()
    applicable = fields.Boolean()
    outcome = fields.String(allow_none=True)
    blocking = fields.Boolean()
    message = fields.Dict(keys=fields.String(), values=fields.String())
    details = fields.Dict()


class EvidenceSchema(Schema):
    id = fields.Integer()
    item_code = fields.String()
    filename = fields.String()
    note = fields.String()
    sha256 = fields.String(attribute="file.sha256")
    media_type = fields.String(attribute="file.media_type")
    created_at = fields.DateTime()


class ProductVersionSchema(Schema):
    id = fields.Integer()
    number = fields.Integer()
    state = fields.String()
    lock_version = fields.Integer()
    name = fields.String()
    name_en = fields.String()
    product_type = fields.String()
    sector = fields.String()
    description = fields.String()
    scenarios = fields.List(fields.String())
    source_type = fields.String()
    source_description = fields.String()
    coverage_region = fields.String()
    coverage_population = fields.String()
    time_range_start = fields.String()
    time_range_end = fields.String()
    scale = fields.String()
    update_frequency = fields.String()
    field_dictionary = fields.List(fields.Nested(FieldDefinitionOutSchema))
    holds_pi = fields.Boolean()
    sensitive_pi = fields.Boolean()
    deidentified = fields.Boolean()
    deidentification_method = fields.String()
    security_level = fields.String()
    delivery_modes = fields.List(fields.String())
    cross_border_allowed = fields.Boolean()
    rights = fields.List(fields.String())
    usage_scope = fields.String()
    no_onward_transfer = fields.Boolean()
    licence_term_months = fields.Integer(allow_none=True)
    price_mode = fields.String()
    api_endpoint = fields.String()
    pi_subjects = fields.Integer(allow_none=True)
    api_check = fields.Dict(allow_none=True)
    sample_filename = fields.String()
    sample_format = fields.String()
    sample_rows = fields.Integer()
    scan_report = fields.Dict(allow_none=True)
    masked_preview = fields.Dict(allow_none=True)
    check_results = fields.List(fields.Nested(CheckResultSchema))
    evidence = fields.List(fields.Nested(EvidenceSchema))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    submitted_at = fields.DateTime(allow_none=True)


class ProductSchema(Schema):
    id = fields.Integer()
    org_id = fields.Integer()
    provider = fields.String(attribute="organization.name")
    created_at = fields.DateTime()
    latest = fields.Nested(ProductVersionSchema)
    versions = fields.Method("_version_summaries")

    def _version_summaries(self, product) -> list[dict]:
        return [{"id": v.id, "number": v.number, "state": v.state} for v in product.versions]


class EvidenceUploadSchema(Schema):
    item_code = fields.String(required=True, validate=validate.Length(min=1, max=10))
    note = fields.String(load_default="", validate=validate.Length(max=2_000))


class TransitionSchema(Schema):
    action = fields.String()
    from_state = fields.String()
    to_state = fields.String()
    actor = fields.String(attribute="actor.name", allow_none=True)
    reason = fields.String(allow_none=True)
    at = fields.DateTime()


class ProductDraftUpdateSchema(ProductDraftSchema):
    """Input of PATCH /products/{id}: any subset of the draft's fields (load with partial=True)."""


class ScanJobSchema(Schema):
    id = fields.Integer()
    product_id = fields.Integer(attribute="version.product_id")
    version = fields.Integer(attribute="version.number")
    filename = fields.String()
    state = fields.String()
    progress = fields.Float(metadata={"description": "0.0–1.0, by bytes read"})
    bytes_total = fields.Integer()
    bytes_read = fields.Integer()
    rows_read = fields.Integer()
    error = fields.Dict(keys=fields.String(), values=fields.String(), allow_none=True)
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    findings = fields.Method("_findings")

    def _findings(self, job) -> list | None:
        """Per column: the types found, the share of rows, masked examples (once the scan succeeded)."""
        if job.state != "succeeded" or job.version.sample_file_id != job.file_id:
            return None
        return (job.version.scan_report or {}).get("column_summary")
