"""Marshmallow schemas of consent: the bank's request, the subject's decision, consents, accesses, certificates."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.consent.services import MAX_RETENTION_DAYS
from marketplace.trading.schemas import ROW_ID_MAX


class ConsentRequestInSchema(Schema):
    contract_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=ROW_ID_MAX),
                                 metadata={"description": "Your active contract for a personal-data product."})
    id_number = fields.String(required=True, load_only=True, validate=validate.Length(min=15, max=18),
                              metadata={"description": "The person's resident identity number; never echoed."})
    categories = fields.List(fields.String(validate=validate.Length(min=1, max=100)), required=True,
                             validate=validate.Length(min=1, max=100),
                             metadata={"description": "Field names of the product's dictionary."})
    retention_days = fields.Integer(required=True, strict=True,
                                    validate=validate.Range(min=1, max=MAX_RETENTION_DAYS))
    purpose_text = fields.String(load_default="", validate=validate.Length(max=2000),
                                 metadata={"description": "The purpose in the person's words; the request's own "
                                                          "purpose when blank."})


class GrantSchema(Schema):
    notice_hash = fields.String(required=True, validate=validate.Length(equal=64),
                                metadata={"description": "SHA-256 of the exact notice text the person read."})


class ConsentSchema(Schema):
    id = fields.Integer()
    number = fields.String(allow_none=True, metadata={"description": "The personal data certificate's number."})
    state = fields.String()
    lock_version = fields.Integer()
    subject_id_number = fields.String(attribute="subject.id_number_masked",
                                      metadata={"description": "Masked; the full number is never shown."})
    contract_id = fields.Integer()
    contract_number = fields.String(attribute="contract.number")
    recipient_uscc = fields.String(attribute="recipient.uscc")
    recipient_name = fields.String(attribute="recipient.name")
    provider_uscc = fields.String(attribute="provider.uscc")
    product_id = fields.Integer()
    purpose = fields.String()
    purpose_text = fields.String()
    categories = fields.List(fields.String())
    method = fields.String()
    retention_days = fields.Integer()
    valid_until = fields.DateTime()
    notice_text = fields.String()
    notice_hash = fields.String()
    requested_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    withdrawn_at = fields.DateTime(allow_none=True)
    erasure_due_at = fields.DateTime(allow_none=True)


class PersonalCertificateSchema(Schema):
    number = fields.String()
    status = fields.String(attribute="state", metadata={"description": "The consent's state now (granted = in force)."})
    certificate = fields.Dict(metadata={"description": "The signed document; its canonical JSON is what is signed."})
    signature = fields.String(metadata={"description": "Base64 Ed25519 signature over the canonical JSON."})
    key_id = fields.String(metadata={"description": "The signing key, listed at /.well-known/exchange-keys.json."})
    algorithm = fields.Constant("Ed25519")
    withdrawn_at = fields.DateTime(allow_none=True)
