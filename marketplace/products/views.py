"""HTML views of products: a broker's drafts, the metadata and field-dictionary form, samples and evidence."""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import ValidationError

from compliance import checklist
from marketplace import policy, ui
from marketplace.errors import Conflict, InvalidTransition, ValidationFailed
from marketplace.i18n import pick
from marketplace.products import scanning, services
from marketplace.products.models import METADATA_FIELDS
from marketplace.products.schemas import EvidenceUploadSchema, ProductDraftSchema

blueprint = Blueprint("products", __name__)

BOOLEAN_FIELDS = ("holds_pi", "sensitive_pi", "deidentified", "cross_border_allowed", "no_onward_transfer")
LIST_FIELDS = ("scenarios", "delivery_modes", "rights")
NUMBER_FIELDS = ("licence_term_months", "pi_subjects")
TEXT_FIELDS = tuple(f for f in METADATA_FIELDS
                    if f not in BOOLEAN_FIELDS + LIST_FIELDS + NUMBER_FIELDS + ("field_dictionary",))
BLANK_FIELD_ROWS = 3


def _actor():
    return current_user._get_current_object()


def form_to_draft(form) -> dict:
    """The draft form as the shape ProductDraftSchema loads: lists, booleans, field-dictionary rows."""
    data = {name: form.get(name, "").strip() for name in TEXT_FIELDS}
    data.update({name: form.getlist(name) for name in LIST_FIELDS})
    data.update({name: name in form for name in BOOLEAN_FIELDS})
    data.update({name: form.get(name, "").strip() or None for name in NUMBER_FIELDS})
    data["lock_version"] = form.get("lock_version", "").strip() or None
    # Checkboxes carry their row's index, since unchecked boxes are not sent at all.
    pi, sensitive = set(form.getlist("field_pi[]")), set(form.getlist("field_sensitive[]"))
    rows = zip(form.getlist("field_name[]"), form.getlist("field_type[]"),
               form.getlist("field_description[]"), strict=False)
    data["field_dictionary"] = [
        {"name": name.strip(), "type": type_, "description": description.strip(), "pi": str(index) in pi,
         "sensitive": str(index) in sensitive}
        for index, (name, type_, description) in enumerate(rows) if name.strip()
    ]
    return data


def _values(version) -> dict:
    return {name: getattr(version, name) for name in METADATA_FIELDS}


def _render_form(product=None, values=None, status=200, **extra):
    values = values if values is not None else (_values(product.latest) if product else {})
    return render_template("products/form.html", product=product, values=values,
                           blank_rows=BLANK_FIELD_ROWS, **extra), status


@ui.panel("dashboard")
def _my_products_panel(user):
    if not policy.allowed(policy.can_create_product, user):
        return None
    return {"template": "products/_panel_my_products.html", "products": services.list_products(actor=user)}


@blueprint.route("/my/products")
@login_required
def my_products():
    return render_template("products/list.html", products=services.list_products(actor=_actor()))


@blueprint.route("/products/new", methods=["GET", "POST"])
@login_required
def new_product():
    if request.method == "GET":
        return _render_form(values={"no_onward_transfer": True})
    raw = form_to_draft(request.form)
    try:
        data = ProductDraftSchema().load(raw)
        data.pop("lock_version", None)
        product = services.create_product(actor=_actor(), **data)
    except ValidationError as exc:
        return _render_form(values=raw, status=422, errors=exc.messages)
    except (ValidationFailed, Conflict) as exc:
        return _render_form(values=raw, status=exc.status, error=exc.detail, errors=exc.errors)
    flash(_("Draft created. Upload a sample and the evidence, then submit it for review."), "success")
    return redirect(url_for("products.product_detail", product_id=product.id))


@blueprint.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
@login_required
def edit_product(product_id: int):
    product = services.get_product_for_edit(product_id, actor=_actor())
    if request.method == "GET":
        return _render_form(product)
    raw = form_to_draft(request.form)
    try:
        data = ProductDraftSchema(partial=True).load(raw)
        services.update_product(product_id, actor=_actor(), **data)
    except ValidationError as exc:
        return _render_form(product, raw, 422, errors=exc.messages)
    except (ValidationFailed, Conflict, InvalidTransition) as exc:
        return _render_form(product, raw, exc.status, error=exc.detail, errors=exc.errors)
    flash(_("Draft saved."), "success")
    return redirect(url_for("products.product_detail", product_id=product_id))


def _render_product(product_id: int, status: int = 200, **extra):
    product = services.get_product(product_id, actor=_actor())
    version = product.latest
    return render_template(
        "products/detail.html", product=product, version=version, timeline=services.timeline(product),
        checklist_items=checklist.DEFAULT_TEMPLATE.items,
        results={result["code"]: result for result in version.check_results or []},
        panels=ui.panels("product", _actor(), product), scan=scanning.latest_scan(version), **extra,
    ), status


@blueprint.route("/products/<int:product_id>")
@login_required
def product_detail(product_id: int):
    return _render_product(product_id)


@blueprint.route("/products/<int:product_id>/sample", methods=["POST"])
@login_required
def upload_sample(product_id: int):
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise ValidationFailed(_("Choose a sample file to upload."), errors={"file": [_("Required.")]})
        job = services.upload_sample(product_id, data=upload.read(), filename=upload.filename, actor=_actor())
    except (ValidationFailed, Conflict, InvalidTransition) as exc:
        return _render_product(product_id, exc.status, sample_error=exc.detail)
    if job.state == "failed":
        return _render_product(product_id, 422, sample_error=pick(job.error))
    if job.active:
        flash(_("Sample received; its scan is running."), "info")
    else:
        flash(_("Sample uploaded and scanned; the automatic checks ran again."), "success")
    return redirect(url_for("products.product_detail", product_id=product_id, _anchor="sample"))


@blueprint.route("/products/<int:product_id>/evidence", methods=["POST"])
@login_required
def add_evidence(product_id: int):
    upload = request.files.get("file")
    try:
        data = EvidenceUploadSchema().load({"item_code": request.form.get("item_code", ""),
                                            "note": request.form.get("note", "")})
        if upload is None or not upload.filename:
            raise ValidationFailed(_("Choose an evidence file to upload."), errors={"file": [_("Required.")]})
        services.add_evidence(product_id, data=upload.read(), filename=upload.filename, actor=_actor(),
                              **data)
    except ValidationError as exc:
        return _render_product(product_id, 422, evidence_error=ui.error_list(exc.messages))
    except (ValidationFailed, Conflict, InvalidTransition) as exc:
        return _render_product(product_id, exc.status, evidence_error=[exc.detail])
    flash(_("Evidence uploaded."), "success")
    return redirect(url_for("products.product_detail", product_id=product_id, _anchor="evidence"))


@blueprint.route("/evidence/<int:evidence_id>")
@login_required
def evidence_file(evidence_id: int):
    evidence, data = services.evidence_file(evidence_id, actor=_actor())
    return send_file(BytesIO(data), mimetype=evidence.file.media_type, as_attachment=True,
                     download_name=evidence.filename)
