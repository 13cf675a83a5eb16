"""ECPay payment notifications through the API, starting from ECPay's published example."""

import pytest

from commerce.models import (
    EventProcessingStatus,
    OrderStatus,
    Payment,
    PaymentEvent,
    PaymentProvider,
    PaymentStatus,
)
from commerce.providers.ecpay import check_mac_value
from commerce.services.payment_events import payment_event_process
from tests.commerce.conftest import (
    ECPAY_EXAMPLE,
    ECPAY_HASH_IV,
    ECPAY_HASH_KEY,
    ecpay_params,
    post_ecpay,
)
from tests.commerce.factories import PaymentFactory, ProductFactory, order_with_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def payment(user):
    """The order and payment ECPay's example pays: 500 TWD, MerchantTradeNo WPLL4E341E122DB44D62."""
    order = order_with_item(product=ProductFactory(price="500.00"), user=user)
    return PaymentFactory(
        order=order, provider=PaymentProvider.ECPAY, provider_reference="WPLL4E341E122DB44D62"
    )


def _process_all() -> None:
    for event in PaymentEvent.objects.filter(processing_status=EventProcessingStatus.PENDING):
        payment_event_process(event_id=event.pk)


def _order_status(payment: Payment) -> str:
    payment.order.refresh_from_db()
    return payment.order.status


def test_published_example_is_accepted_with_1_ok_and_pays_the_order(api_client, payment):
    response = post_ecpay(api_client, ECPAY_EXAMPLE)
    _process_all()

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content == b"1|OK"
    event = PaymentEvent.objects.get()
    assert event.provider_event_id == "WPLL4E341E122DB44D62:1905090000188278"
    assert event.payload["RtnMsg"] == "交易成功"
    assert event.processing_status == EventProcessingStatus.PROCESSED
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert _order_status(payment) == OrderStatus.PAID


def test_repeated_notification_is_answered_1_ok_and_stored_once(api_client, payment):
    responses = [post_ecpay(api_client, ECPAY_EXAMPLE) for _ in range(3)]
    _process_all()

    assert [r.content for r in responses] == [b"1|OK"] * 3
    assert PaymentEvent.objects.count() == 1
    assert payment.order.status_changes.filter(to_status=OrderStatus.PAID).count() == 1


def test_simulated_payment_is_recorded_but_never_ships(api_client, payment):
    response = post_ecpay(api_client, ecpay_params(SimulatePaid="1"))
    _process_all()

    assert response.content == b"1|OK"
    event = PaymentEvent.objects.get()
    assert event.processing_status == EventProcessingStatus.SIMULATED
    assert _order_status(payment) == OrderStatus.PENDING_PAYMENT
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_simulated_notification_does_not_shadow_the_real_one(api_client, payment):
    post_ecpay(api_client, ecpay_params(SimulatePaid="1"))
    post_ecpay(api_client, ECPAY_EXAMPLE)
    _process_all()

    assert PaymentEvent.objects.count() == 2
    assert _order_status(payment) == OrderStatus.PAID


def test_trade_amount_different_from_the_order_total_is_flagged(api_client, payment):
    post_ecpay(api_client, ecpay_params(TradeAmt="499"))
    _process_all()

    assert PaymentEvent.objects.get().processing_status == EventProcessingStatus.AMOUNT_MISMATCH
    payment.refresh_from_db()
    assert payment.flagged
    assert _order_status(payment) == OrderStatus.PENDING_PAYMENT


def test_failed_payment_result_fails_the_payment(api_client, payment):
    post_ecpay(api_client, ecpay_params(RtnCode="10100248", RtnMsg="拒絕交易"))
    _process_all()

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert "10100248" in payment.failure_message
    assert _order_status(payment) == OrderStatus.PENDING_PAYMENT


def test_tampered_notification_is_rejected_with_0_and_not_stored(api_client, payment):
    tampered = {**ECPAY_EXAMPLE, "TradeAmt": "5"}  # CheckMacValue no longer matches

    response = post_ecpay(api_client, tampered)

    assert response.status_code == 400
    assert response.content.startswith(b"0|")
    assert not PaymentEvent.objects.exists()


def test_another_merchants_notification_is_rejected(api_client, payment, settings):
    settings.ECPAY_MERCHANT_ID = "2000132"

    response = post_ecpay(api_client, ECPAY_EXAMPLE)

    assert response.status_code == 400
    assert not PaymentEvent.objects.exists()


def test_unknown_merchant_trade_no_is_rejected(api_client, payment):
    response = post_ecpay(api_client, ecpay_params(MerchantTradeNo="UNKNOWN0000000000001"))

    assert response.status_code == 400
    assert b"MerchantTradeNo" in response.content
    assert not PaymentEvent.objects.exists()


def test_signed_notification_missing_a_field_is_rejected_as_malformed(api_client, payment):
    params = {k: v for k, v in ECPAY_EXAMPLE.items() if k not in ("TradeAmt", "CheckMacValue")}
    params["CheckMacValue"] = check_mac_value(params, ECPAY_HASH_KEY, ECPAY_HASH_IV)

    response = post_ecpay(api_client, params)

    assert response.status_code == 400
    assert b"TradeAmt" in response.content
    assert not PaymentEvent.objects.exists()
