"""The Stripe mock works with the stripe SDK: every call the payment code makes, through Prism.

Prism checks each request against Stripe's spec and answers with the spec's static example, so these tests
assert shapes (types, object kinds), never echoed values: a created PaymentIntent comes back with id "string",
amount 0 and status "canceled" (the first value of the status enum), whatever was sent.
"""

from __future__ import annotations

import json

import pytest
import stripe

PAYMENT_INTENT_STATUSES = {"canceled", "processing", "requires_action", "requires_capture",
                           "requires_confirmation", "requires_payment_method", "succeeded"}


class RecordingClient(stripe.RequestsClient):
    """The SDK's default HTTP client, keeping the headers of each request it sends."""

    def __init__(self):
        super().__init__()
        self.sent: list[tuple[str, str, dict[str, str]]] = []

    def request(self, method, url, headers, post_data=None):
        self.sent.append((method, url, dict(headers or {})))
        return super().request(method, url, headers, post_data)


def _violations(error: stripe.StripeError) -> str:
    """Prism's request violations (a JSON list in the sl-violations header) of a rejected request."""
    assert error.http_status == 422, error.http_status
    return error.headers["sl-violations"]


def test_create_payment_intent_with_idempotency_key(stripe_api_base):
    recorder = RecordingClient()
    client = stripe.StripeClient("sk_test_123", base_addresses={"api": stripe_api_base}, http_client=recorder)

    intent = client.v1.payment_intents.create(
        params={"amount": 1999, "currency": "eur", "metadata": {"order_id": "42", "buyer": "b-7"},
                "automatic_payment_methods": {"enabled": True}},
        options={"idempotency_key": "order-42-attempt-1"},
    )

    assert isinstance(intent, stripe.PaymentIntent)
    assert isinstance(intent.id, str) and intent.id
    assert intent.object == "payment_intent"
    assert intent.status in PAYMENT_INTENT_STATUSES
    assert isinstance(intent.amount, int)
    (method, url, headers), = recorder.sent
    assert (method, url) == ("post", f"{stripe_api_base}/v1/payment_intents")
    assert headers["Idempotency-Key"] == "order-42-attempt-1"


def test_create_payment_intent_without_currency_is_rejected(stripe_client):
    with pytest.raises(stripe.APIError) as caught:
        stripe_client.v1.payment_intents.create(params={"amount": 1999})
    violations = json.loads(_violations(caught.value))
    assert [v["message"] for v in violations] == ["Request body must have required property 'currency'"]


@pytest.mark.parametrize(("params", "where"), [
    ({"amount": "lots", "currency": "eur"}, "amount"),
    ({"amount": 1999, "currency": "eur", "capture_method": "whenever"}, "capture_method"),
    ({"amount": 1999, "currency": "eur", "transfer_data": {"destination": "acct_1", "amount": "half"}},
     "transfer_data.amount"),
])
def test_create_payment_intent_checks_types_and_enums(stripe_client, params, where):
    with pytest.raises(stripe.APIError) as caught:
        stripe_client.v1.payment_intents.create(params=params)
    assert f"property {where} must" in _violations(caught.value)


def test_requests_without_an_api_key_are_refused(stripe_api_base):
    client = stripe.StripeClient("", base_addresses={"api": stripe_api_base})
    with pytest.raises(stripe.AuthenticationError):
        client.v1.payment_intents.retrieve("pi_123")


def test_retrieve_payment_intent(stripe_client):
    intent = stripe_client.v1.payment_intents.retrieve("pi_123")
    assert isinstance(intent, stripe.PaymentIntent)
    assert intent.status in PAYMENT_INTENT_STATUSES
    assert isinstance(intent.metadata, stripe.StripeObject)


def test_cancel_payment_intent(stripe_client):
    intent = stripe_client.v1.payment_intents.cancel("pi_123", params={"cancellation_reason": "abandoned"})
    assert isinstance(intent, stripe.PaymentIntent)
    assert intent.object == "payment_intent"
    with pytest.raises(stripe.APIError) as caught:
        stripe_client.v1.payment_intents.cancel("pi_123", params={"cancellation_reason": "bored"})
    assert "cancellation_reason" in _violations(caught.value)


def test_create_refund(stripe_client):
    refund = stripe_client.v1.refunds.create(params={"payment_intent": "pi_123", "amount": 500,
                                                     "reason": "requested_by_customer"},
                                             options={"idempotency_key": "refund-pi_123-1"})
    assert isinstance(refund, stripe.Refund)
    assert refund.object == "refund"
    assert isinstance(refund.id, str) and isinstance(refund.amount, int)


def test_list_and_retrieve_events(stripe_client):
    events = stripe_client.v1.events.list(params={"type": "payment_intent.succeeded", "limit": 10})
    assert isinstance(events, stripe.ListObject)
    assert events.data and all(isinstance(event, stripe.Event) for event in events.data)
    assert isinstance(events.has_more, bool)

    event = stripe_client.v1.events.retrieve("evt_123")
    assert isinstance(event, stripe.Event)
    assert event.object == "event"
    assert isinstance(event.type, str)
    assert isinstance(event.data.object, stripe.StripeObject)


def test_webhook_payload_from_the_mock_verifies_and_parses(stripe_client):
    """A webhook body shaped by the mock (an Event), signed as Stripe signs it, through construct_event."""
    payload = stripe_client.v1.events.retrieve("evt_123").last_response.body
    secret = "whsec_test_secret"
    header = stripe.WebhookSignature.generate_signature_header(payload, secret)

    event = stripe_client.construct_event(payload, header, secret)
    assert isinstance(event, stripe.Event)
    assert event.id == json.loads(payload)["id"]
    assert stripe.Webhook.construct_event(payload.encode(), header, secret).type == event.type

    with pytest.raises(stripe.SignatureVerificationError):
        stripe_client.construct_event(payload + " ", header, secret)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe_client.construct_event(payload, header, "whsec_another_secret")
