"""JSON API of notifications: the caller's inbox, and marking it read."""

from __future__ import annotations

from flask_smorest import Blueprint

from marketplace.accounts.guard import api_actor
from marketplace.notifications import services
from marketplace.notifications.schemas import InboxPageSchema, InboxQuerySchema, MarkedSchema, NotificationSchema

blueprint = Blueprint("notifications_api", __name__, url_prefix="/notifications",
                      description="Your inbox: every step of your organisation's trades")
ANY_USER = [{"oauth2": []}, {"session": []}]


@blueprint.route("", methods=["GET"])
@blueprint.doc(security=ANY_USER)
@blueprint.arguments(InboxQuerySchema, location="query")
@blueprint.response(200, InboxPageSchema)
def list_notifications(args):
    """Your notifications, newest first, with the unread count."""
    return services.list_inbox(actor=api_actor(), page=args["page"], per_page=args["per_page"],
                               unread_only=args["unread"])


@blueprint.route("/<int:notification_id>/read", methods=["POST"])
@blueprint.doc(security=ANY_USER)
@blueprint.response(200, NotificationSchema)
def mark_read(notification_id):
    """Mark one notification read."""
    return services.mark_read(notification_id, actor=api_actor())


@blueprint.route("/read-all", methods=["POST"])
@blueprint.doc(security=ANY_USER)
@blueprint.response(200, MarkedSchema)
def mark_all_read():
    """Mark every notification read."""
    return {"marked": services.mark_all_read(actor=api_actor())}
