"""Stripe through the official SDK: the few calls the exchange makes, against STRIPE_API_BASE (Stripe itself,
stripe-mock, or the Prism mock the tests start). Nothing here touches card data: the buyer pays on Stripe's
side of a PaymentIntent, and only its id and status come back."""

from __future__ import annotations

from dataclasses import dataclass

import stripe
from flask import current_app


@dataclass(frozen=True)
class Intent:
    id: str
    status: str


# PaymentIntent statuses, as our payment states (requires_* and canceled are all "not paid yet").
INTENT_STATES = {"processing": "processing", "succeeded": "succeeded"}


def enabled() -> bool:
    return bool(current_app.config.get("STRIPE_API_KEY"))


def _client() -> stripe.StripeClient:
    config = current_app.config
    base = config.get("STRIPE_API_BASE") or None
    # Retries are ours (with the stored idempotency key), so the SDK never repeats a call behind our back.
    return stripe.StripeClient(config["STRIPE_API_KEY"], base_addresses={"api": base} if base else None,
                               max_network_retries=0)


def create_intent(*, amount_minor: int, currency: str, idempotency_key: str, metadata: dict[str, str],
                  description: str) -> Intent:
    intent = _client().v1.payment_intents.create(
        params={"amount": amount_minor, "currency": currency.lower(), "metadata": metadata,
                "description": description, "automatic_payment_methods": {"enabled": True}},
        options={"idempotency_key": idempotency_key})
    return Intent(id=intent.id, status=intent.status)


def retrieve_intent(intent_id: str) -> Intent:
    intent = _client().v1.payment_intents.retrieve(intent_id)
    return Intent(id=intent.id, status=intent.status)


MAX_EVENT_PAGES = 50


def recent_events(*, since: int, types: list[str]) -> list:
    """Events Stripe sent (or tried to) since a unix time, oldest first: what reconciliation replays."""
    client, events, after = _client(), {}, None
    for _page in range(MAX_EVENT_PAGES):
        params = {"created": {"gte": since}, "types": types, "limit": 100}
        if after:
            params["starting_after"] = after
        page = client.v1.events.list(params=params)
        fresh = [event for event in page.data if event.id not in events]
        events.update((event.id, event) for event in fresh)
        # Paging by the last id seen (not the SDK's auto-paging, which follows the response's `url`); a page
        # with nothing new ends it too.
        if not page.has_more or not fresh:
            break
        after = page.data[-1].id
    return sorted(events.values(), key=lambda event: event.created)


def verify_event(payload: bytes, signature_header: str | None):
    """The event, if the Stripe-Signature header holds for this exact body within 300 s; else raises."""
    return stripe.Webhook.construct_event(payload, signature_header, current_app.config["STRIPE_WEBHOOK_SECRET"],
                                          tolerance=300)


SignatureError = stripe.SignatureVerificationError
StripeError = stripe.StripeError
