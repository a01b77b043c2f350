"""Marshmallow schemas of notifications: the inbox query and page, one notification."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.notifications import services


class InboxQuerySchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    unread = fields.Boolean(load_default=False, metadata={"description": "Only the notifications not yet read."})


class NotificationSchema(Schema):
    id = fields.Integer()
    event = fields.String(metadata={"description": "<lifecycle>.<action>, e.g. contract.countersign."})
    object_type = fields.String()
    object_id = fields.Integer()
    params = fields.Dict(metadata={"description": "What the message names; {zh, en} values give both languages."})
    message = fields.Function(services.message_of,
                              metadata={"description": "The sentence, in the request's language."})
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


class InboxPageSchema(Schema):
    items = fields.List(fields.Nested(NotificationSchema))
    total = fields.Integer()
    unread = fields.Integer(metadata={"description": "Unread notifications in the whole inbox."})
    page = fields.Integer()
    per_page = fields.Integer()


class MarkedSchema(Schema):
    marked = fields.Integer(metadata={"description": "How many notifications were marked read."})
