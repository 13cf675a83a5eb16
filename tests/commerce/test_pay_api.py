"""Starting a payment: ECPay's signed checkout form, or the fields for a Stripe PaymentIntent."""

import pytest

from commerce.models import OrderStatus, Payment, PaymentProvider, PaymentStatus
from commerce.providers.ecpay import verify
from tests.commerce.conftest import ECPAY_HASH_IV, ECPAY_HASH_KEY
from tests.commerce.factories import ProductFactory, order_with_item
from tests.commerce.localstripe import retrieve_intent

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(user):
    return order_with_item(
        product=ProductFactory(price="250.00", name="Lamp"), quantity=2, user=user
    )


def _pay(client, order, provider: str):
    return client.post(f"/api/v1/orders/{order.pk}/pay/", {"provider": provider}, format="json")


def test_ecpay_gives_a_signed_checkout_form_with_a_fresh_trade_number(user_client, order, settings):
    settings.ECPAY_CHECKOUT_URL = "https://payment-stage.ecpay.com.tw/Cashier/AioCheckOut/V5"

    first = _pay(user_client, order, "ecpay")
    second = _pay(user_client, order, "ecpay")

    assert first.status_code == 201, first.data
    form = first.data["ecpay"]
    assert form["action"] == settings.ECPAY_CHECKOUT_URL
    fields = form["fields"]
    verify(fields, ECPAY_HASH_KEY, ECPAY_HASH_IV)
    assert fields["TotalAmount"] == "500"
    assert fields["MerchantID"] == "3002607"
    assert fields["ReturnURL"].endswith("/api/v1/webhooks/payments/ecpay/")
    assert "Lamp x 2" in fields["ItemName"]
    trade_numbers = {fields["MerchantTradeNo"], second.data["ecpay"]["fields"]["MerchantTradeNo"]}
    assert len(trade_numbers) == 2
    assert all(len(number) <= 20 and number.isalnum() for number in trade_numbers)
    payment = Payment.objects.get(provider_reference=fields["MerchantTradeNo"])
    assert payment.provider == PaymentProvider.ECPAY
    assert payment.status == PaymentStatus.PENDING


def test_stripe_creates_a_payment_intent_and_gives_it_back_for_the_same_attempt(
    user_client, order, stripe_api_settings
):
    response = _pay(user_client, order, "stripe")
    again = _pay(user_client, order, "stripe")

    assert response.status_code == 201, response.data
    payment_id = response.data["payment"]["id"]
    stripe = response.data["stripe"]
    assert stripe["payment_intent"].startswith("pi_")
    assert stripe["client_secret"].startswith(stripe["payment_intent"] + "_secret_")
    assert stripe["amount"] == 50000
    assert stripe["currency"] == "twd"
    intent = retrieve_intent(stripe_api_settings, stripe["payment_intent"])
    assert intent["amount"] == 50000
    assert intent["currency"] == "twd"
    assert intent["metadata"] == {"order_id": str(order.pk), "payment_id": str(payment_id)}
    assert response.data["payment"]["provider_reference"] == stripe["payment_intent"]
    assert response.data["payment"]["amount"] == "500.00"
    # asking again gives the same payment and the same PaymentIntent
    assert again.data["payment"]["id"] == payment_id
    assert again.data["stripe"]["payment_intent"] == stripe["payment_intent"]
    assert again.data["stripe"]["client_secret"] == stripe["client_secret"]
    assert Payment.objects.filter(order=order).count() == 1


def test_ecpay_refuses_amounts_with_cents(user_client, user):
    order = order_with_item(product=ProductFactory(price="12.50"), user=user)

    response = _pay(user_client, order, "ecpay")

    assert response.status_code == 400
    assert "whole" in response.data["detail"]


def test_paid_order_cannot_be_paid_again(user_client, order, stripe_api_settings):
    order.status = OrderStatus.PAID
    order.save()

    response = _pay(user_client, order, "stripe")

    assert response.status_code == 409


def test_unknown_provider_is_a_400(user_client, order):
    assert _pay(user_client, order, "paypal").status_code == 400


def test_payments_list_shows_only_own_payments(
    user_client, order, api_client, other_user, stripe_api_settings
):
    _pay(user_client, order, "stripe")
    api_client.force_authenticate(other_user)

    assert user_client.get("/api/v1/payments/").data["count"] == 1
    assert api_client.get("/api/v1/payments/").data["count"] == 0
    assert _pay(api_client, order, "stripe").status_code == 404


def test_ecpay_not_configured_is_a_503_not_a_crash(user_client, order, settings):
    settings.ECPAY_MERCHANT_ID = ""

    response = _pay(user_client, order, "ecpay")

    assert response.status_code == 503
    assert "not configured" in response.data["detail"]
