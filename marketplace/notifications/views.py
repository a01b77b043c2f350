"""HTML views of notifications: the inbox and marking it read, an organisation's webhook endpoints, and the
unread count on the dashboard."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from marketplace import ui
from marketplace.errors import Conflict, ValidationFailed
from marketplace.notifications import services

# Registering this blueprint imports services and so the models: that is how Alembic's autogenerate sees them.
blueprint = Blueprint("notifications", __name__)
PER_PAGE = 20
DASHBOARD_LATEST = 5


@blueprint.record_once
def _template_helpers(state) -> None:
    state.app.jinja_env.globals.update(notification_message=services.message_of,
                                       notification_link=services.link_for)


def _actor():
    return current_user._get_current_object()


def _page_arg(name: str = "page") -> int:
    page = request.values.get(name, type=int) or 1
    return min(max(page, 1), 10_000)


@blueprint.route("/inbox")
@login_required
def inbox():
    found = services.list_inbox(actor=_actor(), page=_page_arg(), per_page=PER_PAGE)
    return render_template("notifications/inbox.html", found=found)


@blueprint.route("/inbox/<int:notification_id>/read", methods=["POST"])
@login_required
def mark_read(notification_id: int):
    services.mark_read(notification_id, actor=_actor())
    page = _page_arg()
    return redirect(url_for("notifications.inbox", page=page if page > 1 else None))


@blueprint.route("/inbox/read-all", methods=["POST"])
@login_required
def mark_all_read():
    marked = services.mark_all_read(actor=_actor())
    flash(ngettext("%(num)d notification marked read.", "%(num)d notifications marked read.", marked), "success")
    return redirect(url_for("notifications.inbox"))


def _webhooks_page(status: int = 200, **extra):
    actor = _actor()
    return render_template("notifications/webhooks.html", endpoints=services.list_endpoints(actor=actor),
                           deliveries=services.recent_deliveries(actor=actor), **extra), status


@blueprint.route("/organization/webhooks", methods=["GET", "POST"])
@login_required
def webhooks():
    if request.method == "GET":
        return _webhooks_page()
    url = request.form.get("url", "").strip()
    try:
        endpoint, secret = services.register_endpoint(url=url, actor=_actor())
    except (ValidationFailed, Conflict) as exc:
        return _webhooks_page(exc.status, url=url, error=exc.detail, errors=exc.errors)
    return _webhooks_page(201, created=endpoint, secret=secret)


@blueprint.route("/organization/webhooks/<int:endpoint_id>/revoke", methods=["POST"])
@login_required
def revoke_webhook(endpoint_id: int):
    endpoint = services.revoke_endpoint(endpoint_id, actor=_actor())
    flash(_("Webhook endpoint %(url)s revoked.", url=endpoint.url), "success")
    return redirect(url_for("notifications.webhooks"))


@ui.panel("dashboard")
def _inbox_panel(user):
    """The latest notifications, when there are any."""
    found = services.list_inbox(actor=user, per_page=DASHBOARD_LATEST)
    if not found.total:
        return None
    return {"template": "notifications/_panel_dashboard.html", "inbox": found}
