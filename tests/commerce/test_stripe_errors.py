"""Stripe failing while a payment starts: a clear 502/503 and no payment row left behind."""

import json

import pytest

from commerce.models import Payment
from tests.commerce.factories import ProductFactory, order_with_item
from tests.notifications.http_servers import Reply, ScriptedHttpServer

pytestmark = pytest.mark.django_db

_ERROR = {"error": {"type": "invalid_request_error", "message": "Invalid currency: twd"}}


@pytest.fixture
def order(user):
    return order_with_item(product=ProductFactory(price="250.00"), quantity=2, user=user)


@pytest.fixture
def fake_stripe(settings):
    server = ScriptedHttpServer()
    settings.STRIPE_SECRET_KEY = "sk_test_reelhouse"
    settings.STRIPE_API_BASE = server.base_url
    yield server
    server.close()


def _pay(client, order):
    return client.post(f"/api/v1/orders/{order.pk}/pay/", {"provider": "stripe"}, format="json")


def test_stripe_unreachable_is_a_503_and_nothing_is_written(user_client, order, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_reelhouse"
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # discard port: connection refused

    response = _pay(user_client, order)

    assert response.status_code == 503, response.data
    assert "Stripe could not be reached" in response.data["detail"]
    assert not Payment.objects.exists()


def test_stripe_server_error_is_a_503(user_client, order, fake_stripe):
    fake_stripe.script("/v1/payment_intents", Reply(500, json.dumps(_ERROR).encode()))

    response = _pay(user_client, order)

    assert response.status_code == 503, response.data
    assert not Payment.objects.exists()


def test_stripe_refusal_is_a_502_with_its_reason(user_client, order, fake_stripe):
    fake_stripe.script("/v1/payment_intents", Reply(400, json.dumps(_ERROR).encode()))

    response = _pay(user_client, order)

    assert response.status_code == 502, response.data
    assert "Invalid currency" in response.data["detail"]
    assert not Payment.objects.exists()


def test_stripe_not_configured_is_a_503(user_client, order, settings):
    settings.STRIPE_SECRET_KEY = ""

    response = _pay(user_client, order)

    assert response.status_code == 503
    assert "not configured" in response.data["detail"]


def test_a_lost_answer_is_asked_again_with_the_same_idempotency_key(
    user_client, order, fake_stripe
):
    intent = {
        "id": "pi_same",
        "object": "payment_intent",
        "client_secret": "pi_same_secret_x",
        "status": "requires_payment_method",
        "amount": 50000,
        "currency": "twd",
    }
    fake_stripe.script("/v1/payment_intents", Reply(200, json.dumps(intent).encode()))
    first = _pay(user_client, order)
    # the answer was lost: the payment never learnt its PaymentIntent
    Payment.objects.update(provider_reference="")

    again = _pay(user_client, order)

    assert first.status_code == again.status_code == 201
    assert again.data["payment"]["id"] == first.data["payment"]["id"]
    assert again.data["stripe"]["payment_intent"] == "pi_same"
    keys = [r.headers["idempotency-key"] for r in fake_stripe.received("/v1/payment_intents")]
    assert keys == [f"reelhouse-{order.number}-payment-{first.data['payment']['id']}"] * 2
