"""HTML views of consent: the data subject's page (decide, withdraw, see every access), the public personal data
certificate, and the consent panel of a contract's page where the bank asks a person."""

from __future__ import annotations

import segno
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from marshmallow import ValidationError

from marketplace import httpcache, policy, ui
from marketplace.consent import services
from marketplace.consent.schemas import ConsentRequestInSchema, GrantSchema
from marketplace.consent.states import ConsentState
from marketplace.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from marketplace.i18n import lang

blueprint = Blueprint("consent", __name__)

DOMAIN_ERRORS = (ValidationFailed, Conflict, InvalidTransition, Forbidden, NotFound)
HISTORY = (ConsentState.REFUSED, ConsentState.WITHDRAWN, ConsentState.EXPIRED)


def _actor():
    return current_user._get_current_object()


def qr_svg(url: str) -> Markup:
    # segno draws modules as paths; no text of ours reaches the SVG markup.
    return Markup(segno.make(url, error="m").svg_inline(scale=3))  # noqa: S704  # nosec B704 # segno's SVG, no text of ours


@ui.panel("contract")
def _consent_panel(user, contract):
    """On a personal-data contract's page: the bank's consents under it and its form to ask one more person."""
    if not contract.version.holds_pi:
        return None
    can_ask = policy.allowed(policy.can_request_consent, user, contract) and contract.state == "active"
    consents = services.consents_of_contract(contract, actor=user)
    if not consents and not can_ask:
        return None
    fields = [f for f in contract.version.field_dictionary or [] if f.get("pi") or f.get("sensitive")]
    return {"template": "consent/_panel_contract.html", "consents": consents, "can_ask": can_ask,
            "pi_fields": fields, "max_retention": services.MAX_RETENTION_DAYS}


@blueprint.route("/trading/contracts/<int:contract_id>/consents", methods=["POST"])
@login_required
def request_consent(contract_id: int):
    form = {"contract_id": contract_id, "id_number": request.form.get("id_number", "").strip(),
            "categories": request.form.getlist("categories"),
            "retention_days": int(request.form["retention_days"]) if request.form.get(
                "retention_days", "").strip().isdigit() else None,
            "purpose_text": request.form.get("purpose_text", "").strip()}
    try:
        consent = services.request_consent(actor=_actor(), **ConsentRequestInSchema().load(form))
    except ValidationError as exc:
        flash(" ".join(ui.error_list(exc.messages)), "error")
    except DOMAIN_ERRORS as exc:
        flash(" ".join([exc.detail, *ui.error_list(exc.errors)]), "error")
    else:
        flash(_("Consent asked of %(person)s; they decide on their own page.",
                person=consent.subject.id_number_masked), "success")
    return redirect(url_for("trading.contract", contract_id=contract_id, _anchor="consents"))


@blueprint.route("/my/data")
@login_required
def my_data():
    """Every consent of the signed-in person and every access to their data."""
    consents = services.consents_of_subject(actor=_actor())
    granted = [c for c in consents if c.state == ConsentState.GRANTED]
    return render_template(
        "consent/my_data.html", pending=[c for c in consents if c.state == ConsentState.REQUESTED],
        granted=granted, history=[c for c in consents if c.state in HISTORY],
        accesses=services.accesses_of_subject(actor=_actor()), consent_numbers={c.id: c.number for c in consents},
        qr={c.id: qr_svg(url_for("consent.certificate", number=c.number, _external=True)) for c in granted})


@blueprint.route("/my/data/consents/<int:consent_id>/<any(grant, refuse, withdraw):action>", methods=["POST"])
@login_required
def decide(consent_id: int, action: str):
    try:
        if action == "grant":
            data = GrantSchema().load({"notice_hash": request.form.get("notice_hash", "")})
            consent = services.grant(consent_id, actor=_actor(), **data)
        else:
            consent = {"refuse": services.refuse, "withdraw": services.withdraw}[action](consent_id, actor=_actor())
    except ValidationError:
        flash(_("The form is not valid; reload the page and read the notice again."), "error")
        return redirect(url_for("consent.my_data"))
    except DOMAIN_ERRORS as exc:
        flash(exc.detail, "error")
        return redirect(url_for("consent.my_data"))
    recipient = consent.recipient.display_name(lang())
    if action == "grant":
        flash(_("Consent granted: certificate %(number)s names %(recipient)s.", number=consent.number,
                recipient=recipient), "success")
    elif action == "refuse":
        flash(_("Refused. %(recipient)s may not read your data under this request.", recipient=recipient), "success")
    else:
        flash(_("Withdrawn. %(recipient)s can read nothing more and must delete what it received by %(day)s.",
                recipient=recipient, day=ui.day(consent.erasure_due_at)), "success")
    return redirect(url_for("consent.my_data", _anchor=f"consent-{consent.id}"))


@blueprint.route("/personal-certificates/<number>")
@httpcache.public
def certificate(number: str):
    """Public: whoever the person shares the link or QR with checks the signature and whether it still holds."""
    consent = services.certificate_by_number(number)
    url = url_for("consent.certificate", number=consent.number, _external=True)
    return render_template("consent/certificate.html", consent=consent, doc=consent.certificate, url=url,
                           qr_svg=qr_svg(url), signature_valid=services.verify_certificate(consent))
