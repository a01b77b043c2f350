"""Marshmallow schemas of trading: access requests, decisions, contracts and signatures."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from compliance.vocabulary import DELIVERY_REGIONS, LEGAL_BASES, SCENARIOS

# Row ids are 32-bit on PostgreSQL (SERIAL): a larger number names no object and is refused as input.
ROW_ID_MAX = 2**31 - 1


class AccessRequestInSchema(Schema):
    product_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=ROW_ID_MAX),
                                metadata={"description": "The listed product's id."})
    offer_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=ROW_ID_MAX))
    scenario = fields.String(required=True, validate=validate.OneOf(list(SCENARIOS)),
                             metadata={"description": "Must be one of the listing's scenarios."})
    purpose = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    legal_basis = fields.String(required=True, validate=validate.OneOf(list(LEGAL_BASES)))
    term_months = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=120))
    expected_volume = fields.String(load_default="", validate=validate.Length(max=200))
    delivery_region = fields.String(load_default="domestic", validate=validate.OneOf(list(DELIVERY_REGIONS)))
    responsible_person = fields.String(required=True, validate=validate.Length(min=1, max=100))
    responsible_contact = fields.String(load_default="", validate=validate.Length(max=200))


class ResubmitSchema(Schema):
    scenario = fields.String(load_default=None, validate=validate.OneOf(list(SCENARIOS)))
    purpose = fields.String(load_default=None, validate=validate.Length(min=1, max=2000))
    legal_basis = fields.String(load_default=None, validate=validate.OneOf(list(LEGAL_BASES)))
    term_months = fields.Integer(load_default=None, strict=True, validate=validate.Range(min=1, max=120))
    expected_volume = fields.String(load_default=None, validate=validate.Length(max=200))
    delivery_region = fields.String(load_default=None, validate=validate.OneOf(list(DELIVERY_REGIONS)))
    responsible_person = fields.String(load_default=None, validate=validate.Length(min=1, max=100))
    responsible_contact = fields.String(load_default=None, validate=validate.Length(max=200))
    lock_version = fields.Integer(load_default=None, allow_none=True)


class WithdrawSchema(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=2000))
    lock_version = fields.Integer(load_default=None, allow_none=True)


class DecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "decline"]))
    reason = fields.String(load_default="", validate=validate.Length(max=2000))
    price_minor = fields.Integer(load_default=None, allow_none=True, strict=True,
                                 validate=validate.Range(min=1, max=10**12),
                                 metadata={"description": "The agreed price of a negotiable offer, minor units."})
    lock_version = fields.Integer(load_default=None, allow_none=True)


class AccessRequestSchema(Schema):
    id = fields.Integer()
    state = fields.String()
    lock_version = fields.Integer()
    product_id = fields.Integer()
    offer_id = fields.Integer()
    provider_uscc = fields.String(attribute="provider.uscc")
    buyer_uscc = fields.String(attribute="buyer.uscc")
    scenario = fields.String()
    purpose = fields.String()
    legal_basis = fields.String()
    term_months = fields.Integer()
    expected_volume = fields.String()
    delivery_region = fields.String()
    responsible_person = fields.String()
    decision_reason = fields.String()
    agreed_price_minor = fields.Integer(allow_none=True)
    submitted_at = fields.DateTime()
    expires_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    contract_id = fields.Integer(attribute="contract.id", allow_none=True)


class SignatureSchema(Schema):
    party = fields.String()
    signer = fields.String(attribute="signer.name", allow_none=True)
    method = fields.String()
    document_hash = fields.String()
    key_id = fields.String()
    signature = fields.String()
    signed_at = fields.DateTime()


class ContractSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    state = fields.String()
    state_reason = fields.String()
    lock_version = fields.Integer()
    request_id = fields.Integer()
    product_id = fields.Integer()
    provider_uscc = fields.String(attribute="provider.uscc")
    buyer_uscc = fields.String(attribute="buyer.uscc")
    template_version = fields.String()
    document_hash = fields.String(metadata={"description": "SHA-256 of `text`, the exact text both parties sign."})
    text = fields.String()
    policy = fields.Dict(metadata={"description": "The usage terms as an ODRL policy (JSON-LD)."})
    pricing_mode = fields.String()
    amount_minor = fields.Integer()
    currency = fields.String()
    fee_bps = fields.Integer()
    fee_minor = fields.Integer()
    net_minor = fields.Integer()
    term_months = fields.Integer()
    created_at = fields.DateTime()
    activated_at = fields.DateTime(allow_none=True)
    ends_at = fields.DateTime(allow_none=True)
    signatures = fields.List(fields.Nested(SignatureSchema))


class ContractSummarySchema(ContractSchema):
    class Meta:
        exclude = ("text", "policy")


class SignSchema(Schema):
    document_hash = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"),
                                  metadata={"description": "The hash of the text you read and sign."})
    password = fields.String(load_default=None, load_only=True, validate=validate.Length(max=128),
                             metadata={"description": "Browser sessions only: your password again."})
    lock_version = fields.Integer(load_default=None, allow_none=True)


class ListQuerySchema(Schema):
    state = fields.String(load_default=None, validate=validate.Length(max=30))
