"""Idempotency keys of JSON API writes: a POST retried with the same `Idempotency-Key` gets its first response.

Stripe's rules (docs.stripe.com/api/idempotent_requests), keys scoped to the acting user:
- a replay with the same body on the same endpoint returns the stored status and body, with
  `Idempotent-Replayed: true`, and writes nothing;
- the same key with another body or on another endpoint → 422;
- a duplicate that races the first request while it is in flight → 409; retried, it gets the replay.

The record is written in the write's own transaction (a step run just before its unit of work commits), so after
a crash both exist or neither does: a client that never saw the answer retries and its write happens exactly once.
Only successful writes are recorded; a refused request changed nothing and may be sent again with the same key.

Hand-written: the Flask packages for idempotency keys keep the responses in a cache or Redis beside the database,
and a crash between those two writes leaves them disagreeing — the very case keys exist for.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime

from flask import Response, current_app, request
from flask_babel import gettext as _
from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from marketplace.errors import Conflict, ValidationFailed
from marketplace.extensions import db
from marketplace.types import UTCDateTime, utcnow

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# The header as an OpenAPI parameter, for the views that honour it.
HEADER_PARAMETER = {"in": "header", "name": HEADER, "required": False, "schema": {"type": "string", "maxLength": 255},
                    "description": "Any unique string (a UUID): a retry with the same key and body returns the first "
                                   "response instead of writing again."}


class IdempotencyKey(db.Model):
    """One key a user sent with a write, what the request was, and the response it got."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_keys_user_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    response: Mapped[str] = mapped_column(Text)  # the JSON body exactly as first sent
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


@dataclass
class _Pending:
    """The key of the write in progress, waiting for its unit of work to commit."""

    record: IdempotencyKey
    creates: type
    dump: Callable[[object], object]
    created: list = field(default_factory=list)
    stored: bool = False


_pending: ContextVar[_Pending | None] = ContextVar("idempotency_pending", default=None)


def respond(use_case: Callable[[], object], *, actor, schema, creates: type, status: int = 201):
    """Run a use case that creates one `creates` row under the request's Idempotency-Key, if it has one.

    Without the header the use case's result is returned for the view's schema to dump as usual; with it, the
    response is the stored one (first call and replays alike, byte for byte).
    """
    key = request.headers.get(HEADER)
    if key is None:
        return use_case()
    if not 0 < len(key) <= MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise ValidationFailed(_("The Idempotency-Key header must be 1 to 255 printable ASCII characters."),
                               errors={HEADER: [_("Not a valid key.")]})
    fingerprint = _fingerprint()
    stored = db.session.scalar(select(IdempotencyKey).where(IdempotencyKey.user_id == actor.id,
                                                            IdempotencyKey.key == key))
    if stored is not None:
        return _replay(stored, fingerprint)
    record = IdempotencyKey(user_id=actor.id, key=key, method=request.method, path=request.path,
                            request_hash=fingerprint, status=status, response="")
    pending = _Pending(record=record, creates=creates, dump=schema.dump)
    token = _pending.set(pending)
    try:
        use_case()
    finally:
        _pending.reset(token)
    if not pending.stored:
        raise RuntimeError(f"the use case behind {request.path} committed no {creates.__name__}")
    return _response(record.status, record.response, replayed=False)


def _fingerprint() -> str:
    """The request as Stripe compares it: method, path and the parameters (key order and spacing do not count)."""
    body = request.get_json(silent=True)
    canonical = (json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
                 if body is not None else request.get_data())
    return hashlib.sha256(f"{request.method} {request.path}\n".encode() + canonical).hexdigest()


def _replay(stored: IdempotencyKey, fingerprint: str) -> Response:
    if stored.request_hash != fingerprint:
        raise ValidationFailed(
            _("This Idempotency-Key was used with another request (%(method)s %(path)s or another body); "
              "use a new key for a new request.", method=stored.method, path=stored.path),
            errors={HEADER: [_("Already used for another request.")]})
    return _response(stored.status, stored.response, replayed=True)


def _response(status: int, body: str, *, replayed: bool) -> Response:
    response = Response(body, status=status, mimetype="application/json")
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@event.listens_for(Session, "pending_to_persistent")
def _created(session, instance) -> None:
    pending = _pending.get()
    if pending is not None and not pending.stored and isinstance(instance, pending.creates):
        pending.created.append(instance)


@event.listens_for(Session, "before_commit")
def _store(session) -> None:
    """Write the key and the response into the transaction that is about to commit the use case's rows."""
    pending = _pending.get()
    if pending is None or pending.stored or session.in_nested_transaction():
        return
    session.flush()
    if not pending.created:
        return  # a commit before the row exists (a read or an earlier step): the write's own commit comes later
    record = pending.record
    record.response = current_app.json.dumps(pending.dump(pending.created[0]))
    session.add(record)
    try:
        session.flush()
    except IntegrityError:
        # The same user and key committed meanwhile: a duplicate sent while the first was in flight.
        raise Conflict(_("A request with this Idempotency-Key is in progress; retry it to get its response."),
                       errors={HEADER: [_("In progress.")]}) from None
    pending.stored = True
