"""JSON API of delivery: brokers publish and revoke releases; buyers list and download files, read one consented
person's record, and run k-threshold aggregates — each call checked against the contract (entitlements.py)."""

from __future__ import annotations

import io

from flask import request, send_file
from flask_smorest import Blueprint

from marketplace.accounts.guard import api_actor
from marketplace.delivery import queries, services
from marketplace.delivery.schemas import (
    AggregateQuerySchema,
    AggregateResultSchema,
    PurposeQuerySchema,
    RecordQuerySchema,
    RecordSchema,
    ReleaseFormSchema,
    ReleaseSchema,
    RevokeSchema,
)

releases_blueprint = Blueprint("releases_api", __name__, url_prefix="/products",
                               description="Releases (revisions) of a registered product's data, by its broker")
blueprint = Blueprint("delivery_api", __name__, url_prefix="/contracts",
                      description="Delivery under an active contract: files, consent-gated records, aggregates")
DELIVERY = [{"oauth2": ["delivery"]}, {"session": []}]
# Argument schemas as instances: given a class, webargs builds a new schema on every call (flask-smorest
# resolves response schemas once, at import). A marshmallow schema holds no per-load state, so one serves all.
PURPOSE_QUERY = PurposeQuerySchema()
RECORD_QUERY = RecordQuerySchema()
AGGREGATE_QUERY = AggregateQuerySchema()


def _uploads() -> list[services.Upload]:
    return [services.Upload(filename=f.filename or "file", data=f.read()) for f in request.files.getlist("files")]


@releases_blueprint.route("/<int:product_id>/releases", methods=["POST"])
@releases_blueprint.doc(security=DELIVERY)
@releases_blueprint.arguments(ReleaseFormSchema, location="form")
@releases_blueprint.response(201, ReleaseSchema)
def publish(data, product_id):
    """Publish a release (multipart: one or more `files` parts and `notes`) of a registered product."""
    return services.publish_release(product_id, files=_uploads(), actor=api_actor("delivery"), **data)


@releases_blueprint.route("/<int:product_id>/releases", methods=["GET"])
@releases_blueprint.doc(security=DELIVERY)
@releases_blueprint.response(200, ReleaseSchema(many=True))
def list_releases(product_id):
    return services.releases_of(product_id, actor=api_actor("delivery"))


@releases_blueprint.route("/<int:product_id>/releases/<int:number>/revoke", methods=["POST"])
@releases_blueprint.doc(security=DELIVERY)
@releases_blueprint.arguments(RevokeSchema)
@releases_blueprint.response(200, ReleaseSchema)
def revoke(data, product_id, number):
    """Revoke a release: its files stop being delivered and buyers with active contracts are told."""
    return services.revoke_release(product_id, number, actor=api_actor("delivery"), **data)


@blueprint.route("/<int:contract_id>/files", methods=["GET"])
@blueprint.doc(security=DELIVERY)
@blueprint.arguments(PURPOSE_QUERY, location="query")
@blueprint.response(200, ReleaseSchema(many=True))
def files(args, contract_id):
    """The releases (with files) this contract covers: published before it ends and not revoked."""
    return services.contract_files(contract_id, actor=api_actor("delivery"), **args)


@blueprint.route("/<int:contract_id>/files/<int:file_id>", methods=["GET"])
@blueprint.doc(security=DELIVERY)
@blueprint.arguments(PURPOSE_QUERY, location="query")
@blueprint.response(200, {"format": "binary", "type": "string"}, content_type="application/octet-stream")
def download(args, contract_id, file_id):
    """Download one file of a covered release (410 when its release was revoked)."""
    item, data = services.download_file(contract_id, file_id, actor=api_actor("delivery"), **args)
    return _send(item, data)


def _send(item, data: bytes):
    return send_file(io.BytesIO(data), mimetype="application/octet-stream", as_attachment=True,
                     download_name=item.filename, max_age=0)


@blueprint.route("/<int:contract_id>/records", methods=["GET"])
@blueprint.doc(security=DELIVERY)
@blueprint.arguments(RECORD_QUERY, location="query")
@blueprint.response(200, RecordSchema)
def record(args, contract_id):
    """One data subject's record, only under that person's live consent to your organisation for this purpose,
    only the consented categories; the resident ID is never returned unmasked."""
    return queries.get_record(contract_id, subject=args["subject"], purpose=args["purpose"],
                              fields=args.get("field_names"), actor=api_actor("delivery"))


@blueprint.route("/<int:contract_id>/aggregates", methods=["POST"])
@blueprint.doc(security=DELIVERY)
@blueprint.arguments(AGGREGATE_QUERY)
@blueprint.response(200, AggregateResultSchema)
def aggregate(data, contract_id):
    """Run count/sum/avg/min/max, grouped and filtered, inside the exchange: only groups of at least k rows
    are returned (k = min_group_size), never a row; every query is audited."""
    return queries.run_aggregate(contract_id, actor=api_actor("delivery"), **data)
