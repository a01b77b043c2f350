"""JSON API of registration: submission, the review queue and decisions, notices, objections, certificates."""

from __future__ import annotations

import base64

from flask_smorest import Blueprint

from marketplace import httpcache, idempotency
from marketplace.accounts.guard import api_actor
from marketplace.products.schemas import ProductSchema
from marketplace.registration import certificates, schemas, services, transparency
from marketplace.registration.models import Objection

blueprint = Blueprint("registration_api", __name__, description="Review, public notice and certificates")


@blueprint.route("/products/<int:product_id>/submit", methods=["POST"])
@blueprint.doc(security=[{"oauth2": ["products"]}, {"session": []}])
@blueprint.arguments(schemas.SubmitSchema, required=False)
@blueprint.response(200, ProductSchema)
def submit(data, product_id):
    """Submit for review; 422 lists every blocking automatic failure."""
    return services.submit_product(product_id, actor=api_actor("products"), **(data or {})).product


@blueprint.route("/reviews", methods=["GET"])
@blueprint.doc(security=[{"oauth2": ["reviews"]}, {"session": []}])
@blueprint.arguments(schemas.ReviewQuerySchema, location="query")
@blueprint.response(200, schemas.ReviewSummarySchema(many=True))
def list_reviews(query):
    state = None if query["state"] == "all" else query["state"]
    return services.list_reviews(actor=api_actor("reviews"), state=state)


@blueprint.route("/reviews/<int:review_id>", methods=["GET"])
@blueprint.doc(security=[{"oauth2": ["reviews"]}, {"session": []}])
@blueprint.response(200, schemas.ReviewSchema)
def get_review(review_id):
    """One review with every checklist item, its automatic result and decision."""
    return services.get_review(review_id, actor=api_actor("reviews"))


@blueprint.route("/reviews/<int:review_id>/items/<code>", methods=["PUT"])
@blueprint.doc(security=[{"oauth2": ["reviews"]}, {"session": []}])
@blueprint.arguments(schemas.ItemDecisionSchema)
@blueprint.response(200, schemas.ReviewSchema)
def decide_item(data, review_id, code):
    """Decide one item: pass, fail (with a note) or not_applicable."""
    item = services.decide_item(review_id, code, actor=api_actor("reviews"), **data)
    return item.review


@blueprint.route("/reviews/<int:review_id>/decision", methods=["POST"])
@blueprint.doc(security=[{"oauth2": ["reviews"]}, {"session": []}])
@blueprint.arguments(schemas.ReviewDecisionSchema)
@blueprint.response(200, schemas.ReviewSchema)
def decide_review(data, review_id):
    """approve (every applicable item must pass), request_changes or reject (with a reason)."""
    return services.decide_review(review_id, actor=api_actor("reviews"), **data)


@blueprint.route("/notices", methods=["GET"])
@httpcache.public
@blueprint.response(200, schemas.NoticeSchema(many=True))
def list_notices():
    """Products in their public notice period (public)."""
    return services.list_notices()


@blueprint.route("/notices/<int:product_id>/objections", methods=["POST"])
@blueprint.doc(security=[{"oauth2": ["objections"]}, {"session": []}],
               parameters=[idempotency.HEADER_PARAMETER])
@blueprint.arguments(schemas.ObjectionCreateSchema)
@blueprint.response(201, schemas.ObjectionSchema)
def raise_objection(data, product_id):
    """Object to a product during its public notice (any signed-in user)."""
    actor = api_actor("objections")
    return idempotency.respond(lambda: services.raise_objection(product_id, actor=actor, **data), actor=actor,
                               schema=schemas.ObjectionSchema(), creates=Objection)


@blueprint.route("/objections/<int:objection_id>/decision", methods=["POST"])
@blueprint.doc(security=[{"oauth2": ["admin"]}, {"session": []}])
@blueprint.arguments(schemas.ObjectionDecisionSchema)
@blueprint.response(200, schemas.ObjectionSchema)
def decide_objection(data, objection_id):
    """uphold (back to review, or withdraw the product) or dismiss (admins)."""
    return services.decide_objection(objection_id, actor=api_actor("admin"), **data)


@blueprint.route("/certificates/<number>", methods=["GET"])
@httpcache.public
@blueprint.response(200, schemas.ReceiptSchema)
def get_certificate(number):
    """A certificate's receipt (public): document, Ed25519 signature, inclusion proof under the signed checkpoint."""
    return certificates.get_receipt(number)


@blueprint.route("/certificates/<number>/cancel", methods=["POST"])
@blueprint.doc(security=[{"oauth2": ["products"]}, {"session": []}])
@blueprint.arguments(schemas.CertificateChangeSchema)
@blueprint.response(200, schemas.ReceiptSchema)
def cancel_certificate(data, number):
    """注销: the holder cancels its registration."""
    certificates.cancel_certificate(number, actor=api_actor("products"), **data)
    return certificates.get_receipt(number)


@blueprint.route("/certificates/<number>/revoke", methods=["POST"])
@blueprint.doc(security=[{"oauth2": ["admin"]}, {"session": []}])
@blueprint.arguments(schemas.CertificateChangeSchema)
@blueprint.response(200, schemas.ReceiptSchema)
def revoke_certificate(data, number):
    """撤销: the exchange revokes a registration, with a reason."""
    certificates.revoke_certificate(number, actor=api_actor("admin"), **data)
    return certificates.get_receipt(number)


@blueprint.route("/certificates/<number>/renew", methods=["POST"])
@blueprint.doc(security=[{"oauth2": ["products"]}, {"session": []}])
@blueprint.response(201, schemas.ReceiptSchema)
def renew_certificate(number):
    """续展: the holder of an expired certificate gets a new one for the same version."""
    renewed = certificates.renew_certificate(number, actor=api_actor("products"))
    return certificates.get_receipt(renewed.number)


@blueprint.route("/log/checkpoint", methods=["GET"])
@httpcache.public
@blueprint.response(200, schemas.CheckpointSchema)
def log_checkpoint():
    """The latest signed tree head of the certificate log (public)."""
    return transparency.latest_checkpoint()


@blueprint.route("/log/consistency", methods=["GET"])
@httpcache.public
@blueprint.arguments(schemas.ConsistencyQuerySchema, location="query")
@blueprint.response(200, schemas.ConsistencySchema)
def log_consistency(query):
    """Proof that the tree of size `to` extends the tree of size `from` (public)."""
    proof = transparency.consistency(query["from_size"], query["to_size"])
    return {"from_size": query["from_size"], "to_size": query["to_size"],
            "proof": [base64.b64encode(node).decode() for node in proof]}
