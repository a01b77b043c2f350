"""Lifecycles as transition tables, and the one step that moves an object and records who, when and why."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum

from blinker import Namespace
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace import audit
from marketplace.errors import InvalidTransition
from marketplace.extensions import db
from marketplace.types import UTCDateTime, utcnow

# Sent after every transition, inside its transaction: lets a feature react to a lower one's changes (the
# catalog follows registrations) without the lower feature knowing it. Receivers write in the same unit of work.
transitioned = Namespace().signal("transitioned")


class Lifecycle:
    """A named transition table {(state, action): next_state} over a StrEnum of states."""

    def __init__(self, name: str, states: type[StrEnum], transitions: Mapping[tuple[str, str], str]):
        self.name = name
        self.states = states
        self.transitions = {(str(s), str(a)): str(n) for (s, a), n in transitions.items()}

    def next_state(self, state: str, action: str) -> str:
        try:
            return self.transitions[(str(state), str(action))]
        except KeyError:
            raise InvalidTransition(
                str(_l("Cannot %(action)s a %(kind)s that is %(state)s.",
                       action=str(action).replace("_", " "), kind=self.name.replace("_", " "), state=state))
            ) from None

    def can(self, state: str, action: str) -> bool:
        return (str(state), str(action)) in self.transitions

    def actions_from(self, state: str) -> list[str]:
        return [action for (source, action) in self.transitions if source == str(state)]


class StateChange(db.Model):
    """History row written by every transition of every lifecycle: the timeline users see."""

    __tablename__ = "state_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str] = mapped_column(String(40))
    to_state: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor = relationship("User", lazy="joined")

    __table_args__ = (db.Index("ix_state_changes_object", "object_type", "object_id"),)


def transition(obj, lifecycle: Lifecycle, action: str, *, actor, reason: str | None = None,
               data: dict | None = None) -> str:
    """Move obj along its table; write the history row and the audit entry in the caller's transaction."""
    source = obj.state
    target = lifecycle.next_state(source, action)
    obj.state = target
    if obj.id is None:
        db.session.flush()
    db.session.add(StateChange(object_type=lifecycle.name, object_id=obj.id, action=str(action),
                               from_state=str(source), to_state=target,
                               actor_id=actor.id if actor is not None else None, reason=reason))
    audit.record(actor, f"{lifecycle.name}.{action}", lifecycle.name, obj.id,
                 {"from": str(source), "to": target, "reason": reason, **(data or {})})
    transitioned.send(lifecycle.name, obj=obj, action=str(action), source=str(source), target=target, actor=actor,
                      reason=reason)
    return target


def history(object_type: str, object_ids: list[int]) -> list[StateChange]:
    return list(db.session.execute(
        select(StateChange)
        .where(StateChange.object_type == object_type, StateChange.object_id.in_(object_ids))
        .order_by(StateChange.at, StateChange.id)
    ).scalars())
