"""Marshmallow schemas of payments. No card data ever passes through the exchange, so none appears here."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class PaymentInSchema(Schema):
    method = fields.String(load_default="offline", validate=validate.OneOf(["offline", "stripe"]),
                           metadata={"description": "offline (bank transfer) or stripe (when configured)."})


class ConfirmSchema(Schema):
    bank_reference = fields.String(required=True, validate=validate.Length(min=1, max=100))
    lock_version = fields.Integer(load_default=None, allow_none=True)


class PaymentSchema(Schema):
    id = fields.Integer()
    contract_id = fields.Integer()
    provider = fields.String()
    state = fields.String()
    lock_version = fields.Integer()
    amount_minor = fields.Integer()
    currency = fields.String()
    reference = fields.String(metadata={"description": "Quote this on the bank transfer."})
    bank_reference = fields.String()
    stripe_payment_intent = fields.String(allow_none=True)
    failure_reason = fields.String()
    created_at = fields.DateTime()
    succeeded_at = fields.DateTime(allow_none=True)
