"""What the HTML views share: translated state labels, error flattening, and page slots features fill in."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from flask_babel import lazy_gettext as _l

# Every state of every lifecycle (organisation, product version, review, notice, objection, certificate,
# and the trading ones to come); one label per code, since a code means the same thing in each table.
STATE_LABELS = {
    "applied": _l("Applied"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "suspended": _l("Suspended"),
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "in_review": _l("In review"),
    "changes_requested": _l("Changes requested"),
    "public_notice": _l("Public notice"),
    "objection": _l("Objection raised"),
    "withdrawn": _l("Withdrawn"),
    "registered": _l("Registered"),
    "superseded": _l("Superseded"),
    "pending": _l("Pending"),
    "reopened": _l("Reopened"),
    "open": _l("Open"),
    "closed": _l("Closed"),
    "upheld": _l("Upheld"),
    "dismissed": _l("Dismissed"),
    "valid": _l("Valid"),
    "cancelled": _l("Cancelled"),
    "revoked": _l("Revoked"),
    "expired": _l("Expired"),
    "listed": _l("Listed"),
    "delisted": _l("Delisted"),
    "declined": _l("Declined"),
    "awaiting_signatures": _l("Awaiting signatures"),
    "awaiting_payment": _l("Awaiting payment"),
    "active": _l("Active"),
    "terminated": _l("Terminated"),
    "requires_payment": _l("Requires payment"),
    "processing": _l("Processing"),
    "succeeded": _l("Succeeded"),
    "failed": _l("Failed"),
    "refunded": _l("Refunded"),
    "requested": _l("Requested"),
    "granted": _l("Granted"),
    "refused": _l("Refused"),
    "queued": _l("Queued"),
    "running": _l("Running"),
    "renewed": _l("Renewed"),
    "issued": _l("Certificate issued"),
}

# The offline checks of a receipt (compliance.receipt.CHECKS); their details stay technical (hashes, key ids).
CHECK_LABELS = {
    "signature": _l("Exchange signature"),
    "entry": _l("Log entry matches the certificate"),
    "status": _l("Status matches the log"),
    "leaf": _l("Leaf hash"),
    "inclusion": _l("Included in the log"),
    "checkpoint": _l("Signed checkpoint"),
}

REGISTRATION_TYPE_LABELS = {
    "first": _l("First registration"),
    "change": _l("Change registration"),
    "renewal": _l("Renewal"),
}

# Outcomes of automatic checks and reviewers' item decisions.
OUTCOME_LABELS = {
    "pass": _l("Pass"),
    "fail": _l("Fail"),
    "warn": _l("Warning"),
    "not_applicable": _l("Not applicable"),
    None: _l("Reviewer decides"),
}

ROLE_LABELS = {
    "broker": _l("Data broker"),
    "buyer": _l("Buyer"),
    "reviewer": _l("Compliance reviewer"),
    "admin": _l("Exchange admin"),
    "finance": _l("Finance"),
    "subject": _l("Data subject"),
}

KIND_LABELS = {
    "provider": _l("Data provider"),
    "buyer": _l("Buyer"),
    "reviewer": _l("Reviewing body (e.g. law firm)"),
    "exchange": _l("Exchange"),
    "auto": _l("Automatic"),
    "mixed": _l("System flags, reviewer decides"),
    "human": _l("Reviewer decides"),
}


def state_label(state) -> str:
    return str(STATE_LABELS.get(str(state), str(state).replace("_", " ")))


def check_label(name) -> str:
    return str(CHECK_LABELS.get(name, name))


def registration_type_label(kind) -> str:
    return str(REGISTRATION_TYPE_LABELS.get(kind, kind))


def outcome_label(outcome) -> str:
    label = OUTCOME_LABELS.get(outcome)
    return str(label) if label is not None else str(outcome)


def role_label(role) -> str:
    return str(ROLE_LABELS.get(str(role), role))


def kind_label(kind) -> str:
    return str(KIND_LABELS.get(str(kind), kind))


def error_list(messages) -> list[str]:
    """Flatten marshmallow/domain error messages (lists, nested dicts by row) into lines to show."""
    if messages is None:
        return []
    if isinstance(messages, str):
        return [messages]
    if isinstance(messages, dict):
        lines = []
        for key, value in messages.items():
            prefix = f"{int(key) + 1}: " if isinstance(key, int) else (f"{key}: " if key != "_schema" else "")
            lines.extend(prefix + line for line in error_list(value))
        return lines
    return [line for value in messages for line in error_list(value)]


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def day(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d") if moment else ""


TEMPLATE_HELPERS = {
    "state_label": state_label, "outcome_label": outcome_label, "role_label": role_label,
    "kind_label": kind_label, "error_list": error_list, "when": when, "day": day,
    "registration_type_label": registration_type_label, "check_label": check_label,
}

# Page slots: a higher feature adds a panel to a lower feature's page without the lower one importing it
# (the dashboard lives in accounts, the review queue in registration). A provider returns a dict with a
# "template" key and its data, or None when it has nothing for this user.
_slots: dict[str, list[Callable]] = defaultdict(list)


def panel(slot: str) -> Callable[[Callable], Callable]:
    def register(provider: Callable) -> Callable:
        if provider not in _slots[slot]:
            _slots[slot].append(provider)
        return provider
    return register


def panels(slot: str, *args) -> list[dict]:
    found = (provider(*args) for provider in _slots[slot])
    return [item for item in found if item]
