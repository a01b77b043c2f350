"""Use cases of notifications: tell every member of the parties' organisations (inbox, e-mail, webhooks),
read and mark the inbox, and register or revoke an organisation's webhook endpoints.

`notify` writes in the caller's transaction. E-mails and webhook deliveries leave only after that transaction
commits: they wait in the session's outbox, which a rollback empties (see the session events at the end).
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session
from werkzeug.routing import BuildError

from marketplace import audit, jobs, policy
from marketplace.accounts.models import User
from marketplace.database import unit_of_work
from marketplace.errors import Conflict, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.notifications import delivery, messages
from marketplace.notifications.models import Notification, WebhookDelivery, WebhookEndpoint
from marketplace.types import utcnow

log = logging.getLogger(__name__)

OUTBOX = "notifications.outbox"  # session.info key: jobs waiting for the transaction to commit
READY = "notifications.ready"  # committed; sent when the transaction has ended
LOCAL_HOSTS = ("localhost", "127.0.0.1")
MAX_ENDPOINTS = 5
SECRET_PREFIX = "whsec_"  # noqa: S105  (a prefix that makes a leaked secret recognisable, not a secret)  # nosec B105

# How the inbox links an object to its page, registered by the feature that owns the page (trading/notify.py):
# notifications sit below those features and do not know their endpoints.
_links: dict[str, Callable[[int, dict], str]] = {}


# Sending ---------------------------------------------------------------------------------------------------------

def notify(event_name: str, *, org_ids, object_type: str, object_id: int,
           params: dict | None = None) -> list[Notification]:
    """Tell every active member of these organisations, in the caller's transaction; queue their e-mails (when
    SMTP is configured) and one webhook per active endpoint of each organisation, to go after the commit."""
    wanted = sorted({org_id for org_id in org_ids if org_id is not None})
    if not wanted:
        return []
    params = dict(params or {})
    members = db.session.scalars(select(User).where(User.org_id.in_(wanted), User.active.is_(True))
                                 .order_by(User.id))
    rows = [Notification(user_id=user.id, org_id=user.org_id, event=event_name, object_type=object_type,
                         object_id=object_id, params=params) for user in members]
    db.session.add_all(rows)
    endpoints = db.session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.org_id.in_(wanted),
                                                                 WebhookEndpoint.active.is_(True))
                                   .order_by(WebhookEndpoint.id)).all()
    deliveries = []
    if endpoints:
        text = messages.both_languages(event_name, params, object_type=object_type, object_id=object_id)
        for endpoint in endpoints:
            event_id = str(uuid.uuid4())
            deliveries.append(WebhookDelivery(
                endpoint_id=endpoint.id, event_id=event_id, event=event_name,
                payload={"id": event_id, "type": event_name, "created_at": utcnow().isoformat(),
                         "data": {"object_type": object_type, "object_id": object_id, "params": params,
                                  "message": text}}))
        db.session.add_all(deliveries)
    db.session.flush()
    outbox = db.session.info.setdefault(OUTBOX, [])
    if current_app.config.get("MARKETPLACE_SMTP_URL"):
        outbox.extend((delivery.EMAIL_TASK, row.id) for row in rows)
    outbox.extend((delivery.WEBHOOK_TASK, item.id) for item in deliveries)
    return rows


# The inbox -------------------------------------------------------------------------------------------------------

@dataclass
class InboxPage:
    items: list[Notification]
    total: int
    unread: int
    page: int
    per_page: int


def list_inbox(*, actor, page: int = 1, per_page: int = 20, unread_only: bool = False) -> InboxPage:
    """The actor's notifications, newest first, with how many are unread."""
    policy.require(policy.is_signed_in, actor)
    mine = select(Notification).where(Notification.user_id == actor.id)
    if unread_only:
        mine = mine.where(Notification.read_at.is_(None))
    total = db.session.scalar(select(func.count()).select_from(mine.subquery()))
    items = db.session.scalars(mine.order_by(Notification.created_at.desc(), Notification.id.desc())
                               .offset((page - 1) * per_page).limit(per_page)).all()
    return InboxPage(items=list(items), total=total, unread=unread_count(actor=actor), page=page, per_page=per_page)


def unread_count(*, actor) -> int:
    if not policy.allowed(policy.is_signed_in, actor):
        return 0
    return db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.user_id == actor.id, Notification.read_at.is_(None)))


def mark_read(notification_id: int, *, actor) -> Notification:
    """Mark one of the actor's notifications read (again: no change)."""
    with unit_of_work():
        notification = db.session.get(Notification, notification_id)
        if notification is None or not policy.allowed(policy.is_recipient, actor, notification):
            raise NotFound(_("No such notification."))
        if notification.read_at is None:
            notification.read_at = utcnow()
    return notification


def mark_all_read(*, actor) -> int:
    """Mark every unread notification of the actor read; returns how many were."""
    with unit_of_work():
        policy.require(policy.is_signed_in, actor)
        result = db.session.execute(update(Notification)
                                    .where(Notification.user_id == actor.id, Notification.read_at.is_(None))
                                    .values(read_at=utcnow()))
    return result.rowcount


def register_link(object_type: str, build: Callable[[int, dict], str]) -> None:
    """Called by the feature that owns the pages: build(object_id, params) gives the object's URL."""
    _links[object_type] = build


def link_for(notification: Notification) -> str | None:
    build = _links.get(notification.object_type)
    if build is None:
        return None
    try:
        return build(notification.object_id, notification.params or {})
    except (BuildError, KeyError, RuntimeError):
        return None


def message_of(notification: Notification) -> str:
    return messages.render(notification.event, notification.params, object_type=notification.object_type,
                           object_id=notification.object_id)


# Webhook endpoints -----------------------------------------------------------------------------------------------

def _check_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    try:
        host = parts.hostname
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        host = None
    secure = parts.scheme == "https" and bool(host)
    local = parts.scheme == "http" and host in LOCAL_HOSTS
    if len(url) > 500 or not (secure or local) or parts.username or parts.password:
        raise ValidationFailed(_("The webhook URL is not valid."), errors={"url": [
            _("Use an https:// URL (http:// only for localhost or 127.0.0.1), without a user name or password.")]})
    return url


def register_endpoint(*, url: str, actor) -> tuple[WebhookEndpoint, str]:
    """An organisation admin registers a URL for the organisation's events; returns it and its signing secret,
    which is shown this once."""
    with unit_of_work():
        policy.require(policy.can_manage_webhooks, actor,
                       message=_("Only an admin of an approved organisation manages its webhooks."))
        url = _check_url(url)
        active = db.session.scalar(select(func.count()).select_from(WebhookEndpoint)
                                   .where(WebhookEndpoint.org_id == actor.org_id, WebhookEndpoint.active.is_(True)))
        if active >= MAX_ENDPOINTS:
            raise Conflict(_("An organisation has at most %(n)d active webhook endpoints; revoke one first.",
                             n=MAX_ENDPOINTS))
        secret = SECRET_PREFIX + secrets.token_urlsafe(32)
        endpoint = WebhookEndpoint(org_id=actor.org_id, url=url, secret=secret, created_by_id=actor.id)
        db.session.add(endpoint)
        db.session.flush()
        audit.record(actor, "webhook_endpoint.register", "webhook_endpoint", endpoint.id, {"url": url})
    return endpoint, secret


def revoke_endpoint(endpoint_id: int, *, actor) -> WebhookEndpoint:
    """Stop sending to an endpoint; deliveries already queued for it are dropped."""
    with unit_of_work():
        policy.require(policy.can_manage_webhooks, actor,
                       message=_("Only an admin of an approved organisation manages its webhooks."))
        endpoint = db.session.get(WebhookEndpoint, endpoint_id)
        if endpoint is None or endpoint.org_id != actor.org_id:
            raise NotFound(_("No such webhook endpoint."))
        if endpoint.active:
            endpoint.active, endpoint.revoked_at = False, utcnow()
            audit.record(actor, "webhook_endpoint.revoke", "webhook_endpoint", endpoint.id, {"url": endpoint.url})
    return endpoint


def list_endpoints(*, actor) -> list[WebhookEndpoint]:
    policy.require(policy.can_manage_webhooks, actor,
                   message=_("Only an admin of an approved organisation manages its webhooks."))
    return list(db.session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.org_id == actor.org_id)
                                   .order_by(WebhookEndpoint.active.desc(), WebhookEndpoint.id.desc())))


def recent_deliveries(*, actor, limit: int = 20) -> list[WebhookDelivery]:
    """The organisation's latest deliveries and how they went."""
    policy.require(policy.can_manage_webhooks, actor,
                   message=_("Only an admin of an approved organisation manages its webhooks."))
    return list(db.session.scalars(
        select(WebhookDelivery).join(WebhookEndpoint).where(WebhookEndpoint.org_id == actor.org_id)
        .order_by(WebhookDelivery.id.desc()).limit(limit)))


# The outbox: nothing leaves before the commit --------------------------------------------------------------------

@event.listens_for(Session, "after_commit")
def _committed(session) -> None:
    # A savepoint's commit is not the transaction's: the outer one may still roll back.
    if session.in_nested_transaction() or not session.info.get(OUTBOX):
        return
    session.info.setdefault(READY, []).extend(session.info.pop(OUTBOX))


@event.listens_for(Session, "after_transaction_end")
def _ended(session, transaction) -> None:
    if transaction.parent is not None:
        return
    # Whatever is still in the outbox was written by a transaction that did not commit: it never happened.
    session.info.pop(OUTBOX, None)
    ready = session.info.pop(READY, None)
    if ready:
        # Run here rather than in after_commit: the connection is released, so inline jobs can write.
        _dispatch(ready)


def _dispatch(entries: list[tuple[str, int]]) -> None:
    for name, argument in entries:
        try:
            jobs.enqueue(name, argument)
        except Exception:
            # The use case has committed: a mail server or queue that is down must not turn it into an error.
            log.exception("notifications: could not run or queue %s(%s)", name, argument)
