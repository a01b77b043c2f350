"""JSON API of accounts: who am I (the token's or the session's user)."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from marketplace.accounts.guard import api_actor

blueprint = Blueprint("accounts_api", __name__, url_prefix="/me", description="The acting user")


class MeSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    role = fields.String()
    organization = fields.String(attribute="organization.name", allow_none=True)
    org_uscc = fields.String(attribute="organization.uscc", allow_none=True)


@blueprint.route("", methods=["GET"])
@blueprint.doc(security=[{"oauth2": []}, {"session": []}])
@blueprint.response(200, MeSchema)
def me():
    """The user this token or session acts for."""
    return api_actor()
