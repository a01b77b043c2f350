"""HTML views of delivery: a product's releases page for its brokers (publish, list, revoke), and the delivery
panel of a contract's page where the buyer downloads the files its contract covers and, for a personal-data
product, looks up one consented person's record (the same service as the records API, so it is logged and metered)."""

from __future__ import annotations

import io

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import ValidationError

from compliance.identifiers import mask
from marketplace import policy, ui
from marketplace.accounts.services import id_number_hash
from marketplace.consent import services as consents
from marketplace.delivery import entitlements, queries, rows, services
from marketplace.delivery.schemas import RecordQuerySchema, ReleaseFormSchema, RevokeSchema
from marketplace.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from marketplace.trading import services as trading
from marketplace.trading.states import ContractState
from marketplace.types import utcnow

blueprint = Blueprint("delivery", __name__)

DOMAIN_ERRORS = (ValidationFailed, Conflict, InvalidTransition, Forbidden, entitlements.Gone,
                 entitlements.RateLimited)


def _actor():
    return current_user._get_current_object()


def _render_releases(product_id: int, status: int = 200, **extra):
    releases = services.releases_of(product_id, actor=_actor())
    product = releases[0].product if releases else _product(product_id)
    return render_template("delivery/releases.html", product=product, releases=releases,
                           subject_column=rows.subject_column(product.registered) if product.registered else "",
                           can_revoke=lambda release: policy.allowed(policy.can_revoke_release, _actor(), release),
                           **extra), status


def _product(product_id: int):
    from marketplace.products import services as products

    return products.get_product(product_id, actor=_actor())


@blueprint.route("/products/<int:product_id>/releases")
@login_required
def releases(product_id: int):
    return _render_releases(product_id)


@blueprint.route("/products/<int:product_id>/releases", methods=["POST"])
@login_required
def publish(product_id: int):
    uploads = [services.Upload(filename=f.filename or "file", data=f.read())
               for f in request.files.getlist("files") if f.filename]
    try:
        data = ReleaseFormSchema().load({"notes": request.form.get("notes", "")})
        release = services.publish_release(product_id, files=uploads, actor=_actor(), **data)
    except ValidationError as exc:
        return _render_releases(product_id, 422, errors=exc.messages, notes=request.form.get("notes", ""))
    except DOMAIN_ERRORS as exc:
        return _render_releases(product_id, exc.status, error=exc.detail, errors=exc.errors,
                                notes=request.form.get("notes", ""))
    flash(_("Release %(number)d published.", number=release.number), "success")
    return redirect(url_for("delivery.releases", product_id=product_id))


@blueprint.route("/products/<int:product_id>/releases/<int:number>/revoke", methods=["POST"])
@login_required
def revoke(product_id: int, number: int):
    try:
        data = RevokeSchema().load({"reason": request.form.get("reason", "").strip()})
        services.revoke_release(product_id, number, actor=_actor(), **data)
    except ValidationError as exc:
        return _render_releases(product_id, 422, revoke_number=number, revoke_errors=exc.messages)
    except DOMAIN_ERRORS as exc:
        return _render_releases(product_id, exc.status, revoke_number=number, error=exc.detail)
    flash(_("Release %(number)d revoked; buyers with active contracts were told.", number=number), "success")
    return redirect(url_for("delivery.releases", product_id=product_id))


@blueprint.route("/trading/contracts/<int:contract_id>/files/<int:file_id>")
@login_required
def download(contract_id: int, file_id: int):
    """The buyer's download from the contract page; the link declares the contract's own purpose."""
    try:
        item, data = services.download_file(contract_id, file_id, purpose=request.args.get("purpose", ""),
                                            actor=_actor())
    except DOMAIN_ERRORS as exc:
        flash(exc.detail, "error")
        return redirect(url_for("trading.contract", contract_id=contract_id, _anchor="delivery"))
    return send_file(io.BytesIO(data), mimetype="application/octet-stream", as_attachment=True,
                     download_name=item.filename, max_age=0)


@blueprint.route("/trading/contracts/<int:contract_id>/records", methods=["POST"])
@login_required
def lookup_record(contract_id: int):
    """The buyer's record lookup from the contract page: one person, the contract's purpose, the consented fields."""
    contract = trading.get_contract(contract_id, actor=_actor())  # another organisation's contract: 404
    subject = request.form.get("subject", "").strip().upper()
    try:
        args = RecordQuerySchema().load({"subject": subject, "purpose": request.form.get("purpose", "")})
        result = queries.get_record(contract.id, fields=None, actor=_actor(), **args)
    except ValidationError as exc:
        return _render_record(contract, 422, subject=subject, errors=exc.messages)
    except (*DOMAIN_ERRORS, NotFound) as exc:
        return _render_record(contract, exc.status, subject=subject, error=exc.detail,
                              withdrawn=_withdrawn(contract, subject) if isinstance(exc, Forbidden) else None)
    return _render_record(contract, result=result)


def _render_record(contract, status: int = 200, *, subject: str = "", **extra):
    # The identity number typed in is never shown back, only its masked form; the form comes back empty.
    labels = {f["name"]: f.get("description", "") for f in contract.version.field_dictionary or []}
    return render_template("delivery/record.html", contract=contract, purpose=contract.request.scenario,
                           labels=labels, masked=mask(subject, "cn_resident_id") if len(subject) >= 8 else "",
                           **extra), status


def _withdrawn(contract, subject: str):
    """When the refusal is because this person withdrew, their withdrawn consent (the bank sees it on the page)."""
    if len(subject) not in (15, 18):
        return None
    subject_hash = id_number_hash(subject)
    latest = next((c for c in consents.consents_of_contract(contract, actor=_actor())
                   if c.subject_hash == subject_hash), None)
    return latest if latest is not None and latest.withdrawn_at is not None else None


@ui.panel("contract")
def _delivery_panel(user, contract):
    """On the contract's page, for the buyer while the contract runs: the files it covers."""
    if not policy.allowed(policy.can_receive_delivery, user, contract) or contract.state != ContractState.ACTIVE \
            or (contract.ends_at is not None and utcnow() >= contract.ends_at):
        return None
    modes = contract.version.delivery_modes or []
    return {"template": "delivery/_panel_contract.html", "modes": modes,
            "releases": services.covered_releases(contract) if "file" in modes else [],
            "purpose": contract.request.scenario,
            "records": "api" in modes and bool(rows.subject_column(contract.version))}


@ui.panel("product")
def _releases_panel(user, product):
    """On the product's page, for its brokers once registered: where releases are published."""
    if product.registered is None or not policy.allowed(policy.can_publish_release, user, product):
        return None
    return {"template": "delivery/_panel_product.html", "releases": services.releases_of(product.id, actor=user)}
