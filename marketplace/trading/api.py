"""JSON API of trading: access requests and their decision, contracts and signing."""

from __future__ import annotations

from flask_smorest import Blueprint

from marketplace import idempotency
from marketplace.accounts import services as accounts
from marketplace.accounts.guard import api_actor, bearer_call
from marketplace.trading import services
from marketplace.trading.models import AccessRequest
from marketplace.trading.schemas import (
    AccessRequestInSchema,
    AccessRequestSchema,
    ContractSchema,
    ContractSummarySchema,
    DecisionSchema,
    ListQuerySchema,
    ResubmitSchema,
    SignSchema,
    WithdrawSchema,
)

requests_blueprint = Blueprint("access_requests_api", __name__, url_prefix="/access-requests",
                               description="Buyers request access; the provider's broker decides")
contracts_blueprint = Blueprint("contracts_api", __name__, url_prefix="/contracts",
                                description="Contracts: read, sign, pay")
TRADING = [{"oauth2": ["trading"]}, {"session": []}]


@requests_blueprint.route("", methods=["POST"])
@requests_blueprint.doc(security=TRADING, parameters=[idempotency.HEADER_PARAMETER])
@requests_blueprint.arguments(AccessRequestInSchema)
@requests_blueprint.response(201, AccessRequestSchema)
def request_access(data):
    """Request a listed product under one of its offers, for a stated purpose (an instant offer is approved)."""
    actor = api_actor("trading")
    return idempotency.respond(lambda: services.request_access(actor=actor, **data), actor=actor,
                               schema=AccessRequestSchema(), creates=AccessRequest)


@requests_blueprint.route("", methods=["GET"])
@requests_blueprint.doc(security=TRADING)
@requests_blueprint.arguments(ListQuerySchema, location="query")
@requests_blueprint.response(200, AccessRequestSchema(many=True))
def list_requests(args):
    """Your organisation's requests, made or received (every request for the exchange's staff)."""
    return services.list_requests(actor=api_actor("trading"), state=args["state"])


@requests_blueprint.route("/<int:request_id>", methods=["GET"])
@requests_blueprint.doc(security=TRADING)
@requests_blueprint.response(200, AccessRequestSchema)
def get_request(request_id):
    return services.get_request(request_id, actor=api_actor("trading"))


@requests_blueprint.route("/<int:request_id>/withdraw", methods=["POST"])
@requests_blueprint.doc(security=TRADING)
@requests_blueprint.arguments(WithdrawSchema)
@requests_blueprint.response(200, AccessRequestSchema)
def withdraw_request(data, request_id):
    """Withdraw a pending request (the buyer)."""
    return services.withdraw_request(request_id, actor=api_actor("trading"), **data)


@requests_blueprint.route("/<int:request_id>/resubmit", methods=["POST"])
@requests_blueprint.doc(security=TRADING)
@requests_blueprint.arguments(ResubmitSchema)
@requests_blueprint.response(200, AccessRequestSchema)
def resubmit_request(data, request_id):
    """Send a withdrawn request again, changing any stated field."""
    return services.resubmit_request(request_id, actor=api_actor("trading"), **data)


@requests_blueprint.route("/<int:request_id>/decision", methods=["POST"])
@requests_blueprint.doc(security=TRADING)
@requests_blueprint.arguments(DecisionSchema)
@requests_blueprint.response(200, AccessRequestSchema)
def decide_request(data, request_id):
    """Approve (creates the contract; a negotiable offer needs `price_minor`) or decline with a reason."""
    return services.decide_request(request_id, actor=api_actor("trading"), **data)


@contracts_blueprint.route("", methods=["GET"])
@contracts_blueprint.doc(security=TRADING)
@contracts_blueprint.arguments(ListQuerySchema, location="query")
@contracts_blueprint.response(200, ContractSummarySchema(many=True))
def list_contracts(args):
    return services.list_contracts(actor=api_actor("trading"), state=args["state"])


@contracts_blueprint.route("/<int:contract_id>", methods=["GET"])
@contracts_blueprint.doc(security=TRADING)
@contracts_blueprint.response(200, ContractSchema)
def get_contract(contract_id):
    """A contract with its exact text (zh-CN, English, ODRL annex), hash, policy and signatures."""
    return services.get_contract(contract_id, actor=api_actor("trading"))


@contracts_blueprint.route("/<int:contract_id>/sign", methods=["POST"])
@contracts_blueprint.doc(security=[{"oauth2": ["contracts:sign"]}, {"session": []}])
@contracts_blueprint.arguments(SignSchema)
@contracts_blueprint.response(200, ContractSchema)
def sign_contract(data, contract_id):
    """Sign for your organisation the text whose hash you send; the exchange countersigns after both parties.

    A bearer token needs the `contracts:sign` scope; a browser session sends the user's `password` again."""
    actor = api_actor("contracts:sign")
    password = data.pop("password", None)
    if not bearer_call():
        accounts.reauthenticate(actor, password or "")
    return services.sign_contract(contract_id, actor=actor, method="token" if bearer_call() else "password", **data)
