"""HTML views of accounts: signing in and out, joining, applications, members, invitations, API clients."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from marketplace import policy, ui
from marketplace.accounts import services, sessions
from marketplace.accounts.models import ROLES_BY_KIND, OrgKind
from marketplace.errors import Conflict, Forbidden, ValidationFailed
from marketplace.ratelimit import TooManyAttempts

blueprint = Blueprint("accounts", __name__)

APPLICATION_FIELDS = ("name", "name_en", "uscc", "kind", "legal_representative", "address", "contact_phone",
                      "description", "admin_name", "admin_email", "admin_password")
APPLICANT_KINDS = ("provider", "buyer", "reviewer")
ORG_DECISIONS = ("approve", "reject")


@blueprint.record_once
def _template_helpers(state) -> None:
    # Globals rather than a context processor, so imported macro files see them too.
    state.app.jinja_env.globals.update(ui.TEMPLATE_HELPERS, applicant_kinds=APPLICANT_KINDS)


def _actor():
    return current_user._get_current_object()


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def _form(names) -> dict:
    return {name: request.form.get(name, "").strip() for name in names}


@blueprint.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    if request.method == "GET":
        return render_template("accounts/sign_in.html", next=request.args.get("next", ""))
    try:
        user = services.authenticate(request.form.get("email", ""), request.form.get("password", ""))
    except TooManyAttempts as exc:
        page = render_template("accounts/sign_in.html", next=request.form.get("next", ""),
                               email=request.form.get("email", ""), error=exc.detail)
        return page, exc.status, {"Retry-After": str(exc.retry_after)}
    if user is None:
        return render_template("accounts/sign_in.html", next=request.form.get("next", ""),
                               email=request.form.get("email", ""),
                               error=_("The e-mail address or password is not right.")), 401
    lang = session.get("lang")
    session.clear()  # a fresh session on sign-in: no fixation
    if lang:
        session["lang"] = lang
    login_user(user)
    sessions.start()
    return redirect(_safe_next(request.form.get("next")) or url_for("accounts.dashboard"))


@blueprint.route("/sign-out", methods=["POST"])
@login_required
def sign_out():
    services.end_sessions(actor=_actor())
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("catalog.home"))


@blueprint.route("/join", methods=["GET", "POST"])
def join():
    if request.method == "GET":
        return render_template("accounts/join.html", values={"kind": "provider"})
    values = _form(APPLICATION_FIELDS)
    try:
        if values["kind"] not in APPLICANT_KINDS:
            raise ValidationFailed(_("Choose what kind of organisation you are."),
                                   errors={"kind": [_("Required.")]})
        org = services.apply_organization(**values)
    except (ValidationFailed, Conflict) as exc:
        values.pop("admin_password")
        page = render_template("accounts/join.html", values=values, error=exc.detail, errors=exc.errors)
        return page, exc.status
    return render_template("accounts/join_done.html", org=org)


@blueprint.route("/dashboard")
@login_required
def dashboard():
    return render_template("accounts/dashboard.html", panels=ui.panels("dashboard", _actor()))


@ui.panel("dashboard")
def _applications_panel(user):
    if not policy.allowed(policy.can_decide_organizations, user):
        return None
    pending = services.list_organizations(actor=user, state="applied")
    return {"template": "accounts/_panel_applications.html", "organizations": pending}


@blueprint.route("/admin/organizations")
@login_required
def admin_organizations():
    return render_template("accounts/admin_organizations.html",
                           organizations=services.list_organizations(actor=_actor()))


@blueprint.route("/admin/organizations/<int:org_id>/decision", methods=["POST"])
@login_required
def decide_organization(org_id: int):
    decision = request.form.get("decision")
    if decision not in ORG_DECISIONS:
        abort(400, _("Choose approve or reject."))
    reason = request.form.get("reason", "").strip()
    org = services.decide_organization(org_id, decision=decision, reason=reason, actor=_actor())
    flash(_("%(name)s is now %(state)s.", name=org.name, state=ui.state_label(org.state)), "success")
    return redirect(url_for("accounts.admin_organizations"))


def _organization_page(status: int = 200, **extra):
    org = current_user.organization
    if org is None:
        raise Forbidden(_("Your account does not belong to an organisation."))
    return render_template("accounts/organization.html", org=org, members=services.members_of(org),
                           roles=ROLES_BY_KIND[OrgKind(org.kind)], **extra), status


@blueprint.route("/organization")
@login_required
def organization():
    return _organization_page()


@blueprint.route("/organization/invitations", methods=["POST"])
@login_required
def invite_member():
    values = _form(("email", "role"))
    try:
        invitation, token = services.invite_member(**values, actor=_actor())
    except (ValidationFailed, Conflict) as exc:
        return _organization_page(exc.status, values=values, error=exc.detail, errors=exc.errors)
    link = url_for("accounts.accept_invitation", token=token, _external=True)
    return _organization_page(invitation=invitation, invitation_link=link)


@blueprint.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    invitation = services.find_invitation(token)
    if request.method == "GET":
        return render_template("accounts/accept_invitation.html", invitation=invitation, token=token)
    try:
        services.accept_invitation(token, name=request.form.get("name", "").strip(),
                                   password=request.form.get("password", ""))
    except (ValidationFailed, Conflict) as exc:
        page = render_template("accounts/accept_invitation.html", invitation=invitation, token=token,
                               name=request.form.get("name", ""), error=exc.detail, errors=exc.errors)
        return page, exc.status
    flash(_("Your account is ready; sign in."), "success")
    return redirect(url_for("accounts.sign_in"))


@blueprint.route("/account/clients", methods=["GET", "POST"])
@login_required
def clients():
    scopes = policy.SCOPES_BY_ROLE.get(current_user.role, ())
    if request.method == "GET":
        return render_template("accounts/clients.html", scopes=scopes)
    client, secret = services.create_client(name=request.form.get("name", "").strip(),
                                            scopes=request.form.getlist("scopes"), actor=_actor())
    return render_template("accounts/clients.html", scopes=scopes, client=client, secret=secret)
