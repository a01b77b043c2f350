"""Marshmallow schemas of delivery: releases and their files, the purpose every delivery call declares, record
and aggregate queries and their answers."""

from __future__ import annotations

from marshmallow import Schema, fields, validate
from webargs.fields import DelimitedList

from compliance.aggregates import METRICS, OPERATORS

PURPOSE = fields.String(required=True, validate=validate.Length(min=1, max=40),
                        metadata={"description": "The purpose (scenario code) this call serves: must be the "
                                                 "contract's."})


class PurposeQuerySchema(Schema):
    purpose = PURPOSE


class ReleaseFormSchema(Schema):
    notes = fields.String(load_default="", validate=validate.Length(max=2000))


class RevokeSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class ReleaseFileSchema(Schema):
    id = fields.Integer()
    filename = fields.String()
    size = fields.Integer(attribute="file.size")
    sha256 = fields.String(attribute="file.sha256")
    table_format = fields.String()
    rows = fields.Integer()


class ReleaseSchema(Schema):
    id = fields.Integer()
    product_id = fields.Integer()
    number = fields.Integer()
    state = fields.String()
    notes = fields.String()
    rows_loaded = fields.Integer()
    published_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)
    revoke_reason = fields.String()
    files = fields.List(fields.Nested(ReleaseFileSchema))


class RecordQuerySchema(Schema):
    purpose = PURPOSE
    subject = fields.String(required=True, validate=validate.Length(min=15, max=18),
                            metadata={"description": "The data subject's resident ID number (never echoed back)."})
    field_names = DelimitedList(fields.String(validate=validate.Length(min=1, max=200)),
                                validate=validate.Length(max=100), data_key="fields",
                                metadata={"description": "Comma-separated field names; default: the consented "
                                                         "categories."})


class RecordSchema(Schema):
    contract_id = fields.Integer()
    subject = fields.String(metadata={"description": "Masked resident ID number."})
    release = fields.Integer()
    consent_number = fields.String()
    record = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True),
                         metadata={"description": "The requested (consented) fields of the person's record."})


class FilterSchema(Schema):
    column = fields.String(required=True, validate=validate.Length(min=1, max=200))
    op = fields.String(required=True, validate=validate.OneOf(OPERATORS))
    value = fields.Raw(required=True, allow_none=True)


class AggregateQuerySchema(Schema):
    purpose = PURPOSE
    metric = fields.String(required=True, validate=validate.OneOf(METRICS))
    column = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    group_by = fields.List(fields.String(validate=validate.Length(min=1, max=200)), load_default=list,
                           validate=validate.Length(max=3))
    filters = fields.List(fields.Nested(FilterSchema), load_default=list, validate=validate.Length(max=10))


class GroupSchema(Schema):
    key = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True))
    count = fields.Integer()
    value = fields.Float(allow_none=True)


class AggregateResultSchema(Schema):
    contract_id = fields.Integer()
    release = fields.Integer()
    metric = fields.String()
    column = fields.String(allow_none=True)
    group_by = fields.List(fields.String())
    min_group_size = fields.Integer(metadata={"description": "k: groups with fewer rows are not returned."})
    suppressed_groups = fields.Integer(metadata={"description": "How many groups were dropped (keys not told)."})
    groups = fields.List(fields.Nested(GroupSchema))
