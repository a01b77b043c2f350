"""Sending what the inbox records: e-mails over SMTP and signed webhook POSTs, each as a job.

Jobs take only ids and read the rows themselves, in their own short sessions: inline they run just after the
use case's commit (services._ended), in a worker whenever the queue gets to them. The standard library does
the wire work here — smtplib and email.message are what mail libraries wrap, urllib.request does one POST.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import ssl
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.error import HTTPError, URLError
from urllib.parse import unquote, urlsplit
from urllib.request import HTTPRedirectHandler, Request, build_opener

from flask import current_app, url_for
from flask_babel import force_locale
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.routing import BuildError

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.jobs import task
from marketplace.notifications import messages
from marketplace.notifications.models import Notification, WebhookDelivery, WebhookEndpoint
from marketplace.types import utcnow

log = logging.getLogger(__name__)

EMAIL_TASK = "notifications.email"
WEBHOOK_TASK = "notifications.webhook"
TIMEOUT_SECONDS = 5
SIGNATURE_HEADER = "X-Exchange-Signature"
EVENT_ID_HEADER = "X-Exchange-Event-Id"
# How old a signed timestamp a receiver should still accept (Stripe's default tolerance).
TOLERANCE_SECONDS = 300


# Webhooks ----------------------------------------------------------------------------------------------------------

def body_of(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """Stripe's scheme: `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`; the timestamp defeats replays."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, *, now: float | None = None,
           tolerance: int = TOLERANCE_SECONDS) -> bool:
    """What a receiver does with the signature header: recompute, compare in constant time, check the age."""
    fields: dict[str, list[str]] = {}
    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp).partition(",v1=")[2]
    return any(hmac.compare_digest(expected, candidate) for candidate in fields.get("v1", []))


class _NoRedirects(HTTPRedirectHandler):
    """A redirect is a failed delivery: following it would send the signed body to a URL nobody registered."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    """POST once; returns (HTTP status or None when there was no answer, error text)."""
    request = Request(url, data=body, method="POST",  # noqa: S310  (the URL's scheme was checked at registration)
                      headers={"Content-Type": "application/json; charset=utf-8",
                               "User-Agent": "data-exchange-webhooks/1", **headers})
    try:
        with build_opener(_NoRedirects).open(request, timeout=TIMEOUT_SECONDS) as response:
            response.read(1024)
            return response.status, ""
    except HTTPError as exc:
        exc.close()
        return exc.code, str(exc.reason)[:500]
    except (URLError, OSError) as exc:
        return None, str(getattr(exc, "reason", exc))[:500]


@task(WEBHOOK_TASK)
def deliver_webhook(delivery_id: int) -> int | None:
    """Send one delivery (again, on a retry) unless it arrived already or its endpoint was revoked; record how
    it went. Returns the HTTP status, None when nothing was sent or nobody answered."""
    with Session(db.engine) as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.delivered_at is not None:
            return None
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
        if not endpoint.active:
            return None
        url, secret, body = endpoint.url, endpoint.secret, body_of(delivery.payload)
        event_id, event_name = delivery.event_id, delivery.event
    # No transaction is open while the receiver takes its time (up to the timeout).
    status, error = post(url, body, {SIGNATURE_HEADER: sign(secret, body, int(time.time())),
                                     EVENT_ID_HEADER: event_id, "X-Exchange-Event": event_name})
    delivered = status is not None and 200 <= status < 300
    with Session(db.engine) as session, session.begin():
        session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id).values(
            attempts=WebhookDelivery.attempts + 1, last_status=status, last_error=error,
            delivered_at=utcnow() if delivered else None))
    if not delivered:
        log.warning("webhook %s to %s failed: %s %s", event_id, url, status, error)
    return status


# Housekeeping retries an undelivered webhook at most this often (each run is one attempt per delivery).
MAX_ATTEMPTS = 8


def retry_undelivered(*, limit: int = 200) -> dict:
    """Resend webhooks that have not arrived yet, oldest first: the receiver's outage ends, the events follow
    (the same event id and body, so a receiver that did get one can drop the repeat)."""
    with Session(db.engine) as session:
        due = list(session.scalars(select(WebhookDelivery.id).where(
            WebhookDelivery.delivered_at.is_(None), WebhookDelivery.attempts < MAX_ATTEMPTS)
            .order_by(WebhookDelivery.id).limit(limit)))
    delivered = sum(1 for delivery_id in due if (status := deliver_webhook(delivery_id)) and 200 <= status < 300)
    return {"webhooks_retried": len(due), "webhooks_delivered": delivered}


# E-mail ------------------------------------------------------------------------------------------------------------

def inbox_url() -> str:
    """The inbox's absolute URL, or "" where none can be built (a worker without SERVER_NAME)."""
    try:
        return url_for("notifications.inbox", _external=True)
    except (BuildError, RuntimeError):
        return ""


def compose(notification: Notification, user: User) -> EmailMessage:
    """One message in both languages: users have no stored locale."""
    config = current_app.config
    text = messages.both_languages(notification.event, notification.params, object_type=notification.object_type,
                                   object_id=notification.object_id)
    link = inbox_url()
    parts = []
    for code, locale in (("zh", "zh_CN"), ("en", "en")):
        with force_locale(locale):
            lines = [text[code]]
            if link:
                lines.append(str(messages.OPEN_INBOX) % {"url": link})
            parts.append("\n".join(lines))
    signature = f"{config['MARKETPLACE_EXCHANGE_NAME']} / {config['MARKETPLACE_EXCHANGE_NAME_EN']}"
    message = EmailMessage()
    message["Subject"] = f"{text['zh']} / {text['en']}"[:200]
    message["From"] = config.get("MARKETPLACE_MAIL_FROM") or "noreply@localhost"
    message["To"] = user.email
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=message["From"].rpartition("@")[2] or None)
    message.set_content("\n\n".join(parts) + f"\n\n-- \n{signature}\n")
    return message


def send_mail(url: str, message: EmailMessage) -> None:
    """smtp://host:port (plain), smtp+starttls://… or smtps://…; user:password@ in the URL logs in."""
    parts = urlsplit(url)
    if parts.scheme == "smtps":
        client = smtplib.SMTP_SSL(parts.hostname, parts.port or 465, timeout=TIMEOUT_SECONDS * 2,
                                  context=ssl.create_default_context())
    elif parts.scheme in ("smtp", "smtp+starttls"):
        client = smtplib.SMTP(parts.hostname, parts.port or 25, timeout=TIMEOUT_SECONDS * 2)
    else:
        raise ValueError(f"MARKETPLACE_SMTP_URL: unsupported scheme {parts.scheme!r}")
    with client:
        if parts.scheme == "smtp+starttls":
            client.starttls(context=ssl.create_default_context())
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)


@task(EMAIL_TASK)
def send_email(notification_id: int) -> bool:
    """E-mail one notification to its user; an SMTP failure raises, so the queue records (and may retry) it."""
    url = current_app.config.get("MARKETPLACE_SMTP_URL")
    if not url:
        return False
    with Session(db.engine) as session:
        notification = session.get(Notification, notification_id)
        user = session.get(User, notification.user_id) if notification is not None else None
        if user is None or not user.active:
            return False
        message = compose(notification, user)
    send_mail(url, message)
    return True
