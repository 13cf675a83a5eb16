"""Starting a payment: ECPay's signed checkout form, or the fields for a Stripe PaymentIntent."""

import pytest

from commerce.models import OrderStatus, Payment, PaymentProvider, PaymentStatus
from commerce.providers.ecpay import verify
from tests.commerce.conftest import ECPAY_HASH_IV, ECPAY_HASH_KEY
from tests.commerce.factories import ProductFactory, order_with_item

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


def test_stripe_gives_amount_in_minor_units_and_the_metadata_to_attach(user_client, order):
    response = _pay(user_client, order, "stripe")
    again = _pay(user_client, order, "stripe")

    assert response.status_code == 201, response.data
    assert response.data["stripe"] == {
        "amount": 50000,
        "currency": "twd",
        "metadata": {"order_id": str(order.pk), "payment_id": str(response.data["payment"]["id"])},
    }
    assert response.data["payment"]["amount"] == "500.00"
    # asking again reuses the pending payment
    assert again.data["payment"]["id"] == response.data["payment"]["id"]


def test_ecpay_refuses_amounts_with_cents(user_client, user):
    order = order_with_item(product=ProductFactory(price="12.50"), user=user)

    response = _pay(user_client, order, "ecpay")

    assert response.status_code == 400
    assert "whole" in response.data["detail"]


def test_paid_order_cannot_be_paid_again(user_client, order):
    order.status = OrderStatus.PAID
    order.save()

    response = _pay(user_client, order, "stripe")

    assert response.status_code == 409


def test_unknown_provider_is_a_400(user_client, order):
    assert _pay(user_client, order, "paypal").status_code == 400


def test_payments_list_shows_only_own_payments(user_client, order, api_client, other_user):
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
