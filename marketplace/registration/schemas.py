"""Marshmallow schemas of registration: review decisions, notices, objections, certificates."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class ReviewItemSchema(Schema):
    code = fields.String()
    kind = fields.String()
    title = fields.Dict(attribute="definition.title")
    basis = fields.Dict(attribute="definition.basis")
    applicable = fields.Boolean()
    auto_outcome = fields.String(allow_none=True)
    auto_message = fields.Dict(allow_none=True)
    auto_details = fields.Dict(allow_none=True)
    decision = fields.String(allow_none=True)
    note = fields.String()
    decided_at = fields.DateTime(allow_none=True)


class ReviewSchema(Schema):
    id = fields.Integer()
    state = fields.String()
    lock_version = fields.Integer()
    template_version = fields.String()
    product_id = fields.Integer(attribute="version.product_id")
    version_id = fields.Integer()
    product_name = fields.String(attribute="version.name")
    provider = fields.String(attribute="version.product.organization.name")
    reason = fields.String(allow_none=True)
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    items = fields.List(fields.Nested(ReviewItemSchema))


class ReviewSummarySchema(ReviewSchema):
    class Meta:
        exclude = ("items",)


class ItemDecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["pass", "fail", "not_applicable"]))
    note = fields.String(load_default="", validate=validate.Length(max=5_000))
    lock_version = fields.Integer(load_default=None, allow_none=True)


class ReviewDecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "request_changes", "reject"]))
    reason = fields.String(load_default="", validate=validate.Length(max=5_000))
    lock_version = fields.Integer(load_default=None, allow_none=True)


class ReviewQuerySchema(Schema):
    state = fields.String(load_default="pending",
                          validate=validate.OneOf(["pending", "approved", "changes_requested", "rejected",
                                                   "reopened", "all"]))


class ObjectionSchema(Schema):
    id = fields.Integer()
    notice_id = fields.Integer()
    reason = fields.String()
    state = fields.String()
    decision_reason = fields.String(allow_none=True)
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)


class ObjectionCreateSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=5_000))


class ObjectionDecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["uphold", "dismiss"]))
    outcome = fields.String(load_default="review", validate=validate.OneOf(["review", "withdraw"]))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=5_000))


class NoticeSchema(Schema):
    id = fields.Integer()
    product_id = fields.Integer(attribute="version.product_id")
    version = fields.Integer(attribute="version.number")
    product_name = fields.String(attribute="version.name")
    provider = fields.String(attribute="version.product.organization.name")
    provider_uscc = fields.String(attribute="version.product.organization.uscc")
    state = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    open_objections = fields.Method("_open_objections")

    def _open_objections(self, notice) -> int:
        return len(notice.open_objections())


class ReceiptSchema(Schema):
    """Stable contract 5: verify offline with `python -m compliance.verify RECEIPT --public-key KEY`."""

    certificate = fields.Dict(metadata={"description": "The signed certificate document."})
    status = fields.String()
    signature = fields.Dict(metadata={"description": "alg, key_id, value (base64 Ed25519 over the document)"})
    log = fields.Dict(metadata={"description": "entry (base64), leaf_index, tree_size, inclusion_proof (base64 "
                                              "hashes), checkpoint (the signed note)"})
    history = fields.List(fields.Dict(), metadata={"description": "Every log event of this certificate."})


class CertificateChangeSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2_000))


class CheckpointSchema(Schema):
    size = fields.Integer()
    root = fields.String(metadata={"description": "hex SHA-256"})
    timestamp = fields.String()
    key_id = fields.String()
    note = fields.String(metadata={"description": "The C2SP signed note."})


class ConsistencyQuerySchema(Schema):
    from_size = fields.Integer(required=True, data_key="from", validate=validate.Range(min=1))
    to_size = fields.Integer(required=True, data_key="to", validate=validate.Range(min=1))


class ConsistencySchema(Schema):
    from_size = fields.Integer(data_key="from")
    to_size = fields.Integer(data_key="to")
    proof = fields.List(fields.String(), metadata={"description": "base64 hashes (RFC 9162 §2.1.4)"})


class SubmitSchema(Schema):
    lock_version = fields.Integer(load_default=None, allow_none=True)
