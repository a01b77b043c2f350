"""HTML views of registration: submission, the review desk, public notices, objections, certificates."""

from __future__ import annotations

import segno
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from marshmallow import ValidationError

from marketplace import httpcache, keys, policy, ui
from marketplace.errors import Conflict, InvalidTransition, ValidationFailed
from marketplace.registration import certificates, services, transparency
from marketplace.registration.schemas import (
    ItemDecisionSchema,
    ObjectionCreateSchema,
    ObjectionDecisionSchema,
    ReviewDecisionSchema,
    ReviewQuerySchema,
    SubmitSchema,
)

blueprint = Blueprint("registration", __name__)


def _actor():
    return current_user._get_current_object()


@ui.panel("dashboard")
def _reviews_panel(user):
    if not policy.allowed(policy.can_view_reviews, user):
        return None
    return {"template": "registration/_panel_reviews.html", "reviews": services.list_reviews(actor=user)}


@ui.panel("dashboard")
def _objections_panel(user):
    if not policy.allowed(policy.is_admin, user):
        return None
    return {"template": "registration/_panel_objections.html",
            "objections": services.list_open_objections(actor=user)}


@ui.panel("product")
def _certificates_panel(user, product):
    return {"template": "registration/_panel_product_registration.html",
            "certificates": certificates.certificates_of(product.id),
            "notices": services.notices_of(product.id)}


@blueprint.route("/products/<int:product_id>/submit", methods=["POST"])
@login_required
def submit_product(product_id: int):
    try:
        data = SubmitSchema().load({"lock_version": request.form.get("lock_version") or None})
        services.submit_product(product_id, actor=_actor(), **data)
    except ValidationError as exc:
        flash(" ".join(ui.error_list(exc.messages)), "error")
    except (ValidationFailed, Conflict, InvalidTransition) as exc:
        flash(exc.detail, "error")
        for code, messages in exc.errors.items():
            flash(f"{code}: {' '.join(ui.error_list(messages))}", "blocking")
    else:
        flash(_("Submitted for review."), "success")
    return redirect(url_for("products.product_detail", product_id=product_id))


@blueprint.route("/reviews")
@login_required
def reviews():
    try:
        state = ReviewQuerySchema().load({"state": request.args.get("state", "pending")})["state"]
    except ValidationError:
        abort(400, _("Unknown review state."))
    found = services.list_reviews(actor=_actor(), state=None if state == "all" else state)
    return render_template("registration/reviews.html", reviews=found, state=state)


def _render_review(review_id: int, status: int = 200, **extra):
    review = services.get_review(review_id, actor=_actor())
    return render_template("registration/review.html", review=review, version=review.version, **extra), status


@blueprint.route("/reviews/<int:review_id>")
@login_required
def review(review_id: int):
    return _render_review(review_id)


@blueprint.route("/reviews/<int:review_id>/items/<code>", methods=["POST"])
@login_required
def decide_item(review_id: int, code: str):
    try:
        data = ItemDecisionSchema().load(_fields("decision", "note", "lock_version"))
        services.decide_item(review_id, code, actor=_actor(), **data)
    except ValidationError as exc:
        return _render_review(review_id, 422, item_code=code, item_errors=ui.error_list(exc.messages))
    except (ValidationFailed, Conflict, InvalidTransition) as exc:
        return _render_review(review_id, exc.status, item_code=code, item_errors=[exc.detail])
    flash(_("Decision on %(code)s recorded.", code=code), "success")
    return redirect(url_for("registration.review", review_id=review_id, _anchor=f"item-{code}"))


@blueprint.route("/reviews/<int:review_id>/decision", methods=["POST"])
@login_required
def decide_review(review_id: int):
    try:
        data = ReviewDecisionSchema().load(_fields("decision", "reason", "lock_version"))
        decided = services.decide_review(review_id, actor=_actor(), **data)
    except ValidationError as exc:
        return _render_review(review_id, 422, decision_errors=ui.error_list(exc.messages))
    except (ValidationFailed, Conflict, InvalidTransition) as exc:
        return _render_review(review_id, exc.status, decision_errors=[exc.detail])
    flash(_("The review is now %(state)s.", state=ui.state_label(decided.state)), "success")
    return redirect(url_for("registration.review", review_id=review_id))


def _fields(*names) -> dict:
    """Form values by name, leaving out empty ones so schema defaults apply."""
    return {name: request.form[name] for name in names if request.form.get(name, "") != ""}


@blueprint.route("/notices")
@httpcache.public
def notices():
    return render_template("registration/notices.html", notices=services.list_notices())


def _render_notice(notice_id: int, status: int = 200, **extra):
    notice = services.get_notice(notice_id)
    return render_template("registration/notice.html", notice=notice, version=notice.version, **extra), status


@blueprint.route("/notices/<int:notice_id>")
@httpcache.public
def notice(notice_id: int):
    return _render_notice(notice_id)


@blueprint.route("/notices/<int:notice_id>/objections", methods=["POST"])
@login_required
def raise_objection(notice_id: int):
    notice = services.get_notice(notice_id)
    try:
        data = ObjectionCreateSchema().load({"reason": request.form.get("reason", "").strip()})
        services.raise_objection(notice.version.product_id, actor=_actor(), **data)
    except ValidationError as exc:
        return _render_notice(notice_id, 422, errors=exc.messages)
    except (ValidationFailed, Conflict, InvalidTransition) as exc:
        return _render_notice(notice_id, exc.status, error=exc.detail, errors=exc.errors)
    flash(_("Your objection has been recorded; the exchange will decide on it."), "success")
    return redirect(url_for("registration.notice", notice_id=notice_id))


def _render_objections(status: int = 200, **extra):
    return render_template("registration/objections.html", objections=services.list_open_objections(actor=_actor()),
                           **extra), status


@blueprint.route("/admin/objections")
@login_required
def admin_objections():
    return _render_objections()


@blueprint.route("/objections/<int:objection_id>/decision", methods=["POST"])
@login_required
def decide_objection(objection_id: int):
    try:
        data = ObjectionDecisionSchema().load(_fields("decision", "outcome", "reason"))
        services.decide_objection(objection_id, actor=_actor(), **data)
    except ValidationError as exc:
        return _render_objections(422, objection_id=objection_id, errors=ui.error_list(exc.messages))
    except (ValidationFailed, Conflict, InvalidTransition) as exc:
        return _render_objections(exc.status, objection_id=objection_id, errors=[exc.detail])
    flash(_("Objection decided."), "success")
    return redirect(url_for("registration.admin_objections"))


@blueprint.route("/certificates/<number>")
@httpcache.public
def certificate(number: str):
    return _render_certificate(number)


def _render_certificate(number: str, status: int = 200, **extra):
    found = certificates.get_certificate(number)
    verify_url = url_for("registration.verify", number=found.number, _external=True)
    return render_template("registration/certificate.html", certificate=found, verify_url=verify_url,
                           # segno draws modules as paths; no text of ours reaches the SVG markup.
                           qr_svg=Markup(segno.make(verify_url, error="m").svg_inline(scale=3)),  # noqa: S704  # nosec B704 # segno's SVG, no text of ours
                           history=transparency.history_of(found), **extra), status


@blueprint.route("/certificates/<number>/<any(cancel, revoke):action>", methods=["POST"])
@login_required
def change_certificate(number: str, action: str):
    change = {"cancel": certificates.cancel_certificate, "revoke": certificates.revoke_certificate}[action]
    try:
        change(number, reason=request.form.get("reason", ""), actor=_actor())
    except (ValidationFailed, InvalidTransition) as exc:
        return _render_certificate(number, exc.status, change_error=exc.detail)
    flash(_("The certificate is now %(state)s.", state=ui.state_label(
        "cancelled" if action == "cancel" else "revoked")), "success")
    return redirect(url_for("registration.certificate", number=number))


@blueprint.route("/certificates/<number>/renew", methods=["POST"])
@login_required
def renew_certificate(number: str):
    renewed = certificates.renew_certificate(number, actor=_actor())
    flash(_("Renewed: the new certificate is %(number)s.", number=renewed.number), "success")
    return redirect(url_for("registration.certificate", number=renewed.number))


@blueprint.route("/verify")
@httpcache.public
def verify():
    """Anyone enters a number (or scans the QR code) and sees the status and every check made."""
    number = request.args.get("number", "").strip()
    if not number:
        return render_template("registration/verify.html", number="", result=None)
    result = certificates.verify(number)
    return render_template("registration/verify.html", number=number, result=result), 200 if result else 404


@blueprint.route("/.well-known/exchange-keys.json")
@httpcache.public
def exchange_keys():
    """The exchange's public keys (active and retired), for offline verification of receipts."""
    return jsonify(keys.keys_document())
