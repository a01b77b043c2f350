"""JSON API of products: draft, edit, upload the sample and evidence (brokers)."""

from __future__ import annotations

from flask import jsonify, request, url_for
from flask_smorest import Blueprint

from marketplace import idempotency
from marketplace.accounts.guard import api_actor
from marketplace.errors import ValidationFailed
from marketplace.i18n import pick
from marketplace.products import scanning, services
from marketplace.products.models import Product
from marketplace.products.schemas import (
    EvidenceSchema,
    EvidenceUploadSchema,
    ProductDraftSchema,
    ProductDraftUpdateSchema,
    ProductSchema,
    ScanJobSchema,
    TransitionSchema,
)

blueprint = Blueprint("products_api", __name__, url_prefix="/products", description="Brokers' data products")


def _upload() -> tuple[bytes, str]:
    """The body of a PUT (raw bytes) or the `file` part of a multipart POST."""
    if request.files.get("file"):
        upload = request.files["file"]
        return upload.read(), upload.filename or "upload"
    if request.content_type and request.content_type.startswith("multipart/"):
        raise ValidationFailed("Attach the file as the multipart part named `file`.", errors={"file": ["Missing."]})
    return request.get_data(), request.args.get("filename", "upload")


@blueprint.route("", methods=["POST"])
@blueprint.doc(security=[{"oauth2": ["products"]}, {"session": []}],
               parameters=[idempotency.HEADER_PARAMETER])
@blueprint.arguments(ProductDraftSchema)
@blueprint.response(201, ProductSchema)
def create_product(data):
    """Draft a new product (version 1); an `Idempotency-Key` makes a retry return the first response."""
    data.pop("lock_version", None)
    actor = api_actor("products")
    return idempotency.respond(lambda: services.create_product(actor=actor, **data), actor=actor,
                               schema=ProductSchema(), creates=Product)


@blueprint.route("", methods=["GET"])
@blueprint.doc(security=[{"oauth2": ["products"]}, {"session": []}])
@blueprint.response(200, ProductSchema(many=True))
def list_products():
    """Your organisation's products."""
    return services.list_products(actor=api_actor("products"))


@blueprint.route("/<int:product_id>", methods=["GET"])
@blueprint.doc(security=[{"oauth2": []}, {"session": []}])
@blueprint.response(200, ProductSchema)
def get_product(product_id):
    return services.get_product(product_id, actor=api_actor())


@blueprint.route("/<int:product_id>", methods=["PATCH"])
@blueprint.doc(security=[{"oauth2": ["products"]}, {"session": []}])
@blueprint.arguments(ProductDraftUpdateSchema(partial=True), required=False)
@blueprint.response(200, ProductSchema)
def update_product(data, product_id):
    """Edit the draft; editing a registered product starts a new draft version."""
    version = services.update_product(product_id, actor=api_actor("products"), **data)
    return version.product


@blueprint.route("/<int:product_id>/sample", methods=["PUT"])
@blueprint.doc(security=[{"oauth2": ["products"]}, {"session": []}])
@blueprint.response(200, ProductSchema, description="Scanned inline (no job queue): the product with its results.")
@blueprint.alt_response(202, schema=ScanJobSchema, description="Queued for a worker; poll the scan job.")
def upload_sample(product_id):
    """Upload the sample (CSV, XLSX or JSON lines, checked by content); its scan runs the automatic checks."""
    data, filename = _upload()
    job = services.upload_sample(product_id, data=data, filename=filename, actor=api_actor("products"))
    if job.state == "failed":
        raise ValidationFailed(pick(job.error), errors={"file": [pick(job.error)]})
    if job.active:
        # A finished response, so the 200 schema above does not apply to it.
        response = jsonify(ScanJobSchema().dump(job))
        response.status_code = 202
        response.headers["Location"] = url_for("products_api.get_scan_job", job_id=job.id)
        return response
    return job.version.product


@blueprint.route("/<int:product_id>/evidence", methods=["POST"])
@blueprint.doc(security=[{"oauth2": ["products"]}, {"session": []}])
@blueprint.arguments(EvidenceUploadSchema, location="form")
@blueprint.response(201, EvidenceSchema)
def add_evidence(data, product_id):
    """Attach evidence (multipart: `file`, `item_code`, `note`) to a checklist item."""
    content, filename = _upload()
    return services.add_evidence(product_id, data=content, filename=filename, actor=api_actor("products"), **data)


@blueprint.route("/<int:product_id>/timeline", methods=["GET"])
@blueprint.doc(security=[{"oauth2": []}, {"session": []}])
@blueprint.response(200, TransitionSchema(many=True))
def timeline(product_id):
    """Every transition of every version: who, when, from, to, why."""
    return services.timeline(services.get_product(product_id, actor=api_actor()))


@blueprint.route("/scans/<int:job_id>", methods=["GET"])
@blueprint.doc(security=[{"oauth2": []}, {"session": []}])
@blueprint.response(200, ScanJobSchema)
def get_scan_job(job_id):
    """A sample scan: its state, progress and, when done, the findings per column."""
    return scanning.get_scan_job(job_id, actor=api_actor())
