"""ECPay AIO CheckMacValue, notification parsing and checkout fields against ECPay's examples."""

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest

from commerce.providers import MalformedEvent, SignatureError
from commerce.providers.ecpay import (
    PRODUCTION_CHECKOUT_URL,
    STAGE_CHECKOUT_URL,
    check_mac_value,
    checkout_params,
    parse_notification,
    verify,
)

# The payment result callback from ECPay's SDK example, with its published CheckMacValue,
# and ECPay's stage keys.
from tests.commerce.conftest import ECPAY_CALLBACK as CALLBACK
from tests.commerce.conftest import ECPAY_CALLBACK_MAC as CALLBACK_MAC
from tests.commerce.conftest import ECPAY_HASH_IV as HASH_IV
from tests.commerce.conftest import ECPAY_HASH_KEY as HASH_KEY


def signed_callback(**changes: str) -> dict[str, str]:
    params = {**CALLBACK, **changes}
    params["CheckMacValue"] = check_mac_value(params, HASH_KEY, HASH_IV)
    return params


def test_sdk_callback_example_gives_the_published_check_mac_value():
    assert check_mac_value(CALLBACK, HASH_KEY, HASH_IV) == CALLBACK_MAC


def test_check_mac_value_field_itself_is_left_out_of_the_hash():
    params = {**CALLBACK, "CheckMacValue": "anything"}
    assert check_mac_value(params, HASH_KEY, HASH_IV) == CALLBACK_MAC


def test_checkout_example_encodes_like_ecpays_published_url_encoding():
    # Step (3) of ECPay's checksum appendix: the URL-encoded string for its AioCheckOut example.
    published = (
        "HashKey%3dpwFHCqoQZGmho4w6%26ChoosePayment%3dALL%26EncryptType%3d1%26ItemName%3dApple"
        "+iphone+15%26MerchantID%3d3002607%26MerchantTradeDate%3d2023%2f03%2f12+15%3a30%3a23"
        "%26MerchantTradeNo%3decpay20230312153023%26PaymentType%3daio%26ReturnURL%3dhttps%3a%2f"
        "%2fwww.ecpay.com.tw%2freceive.php%26TotalAmount%3d30000%26TradeDesc%3d%e4%bf%83%e9%8a"
        "%b7%e6%96%b9%e6%a1%88%26HashIV%3dEkRm7iFT261dpevs"
    )
    params = {
        "TradeDesc": "促銷方案",
        "PaymentType": "aio",
        "MerchantTradeDate": "2023/03/12 15:30:23",
        "MerchantTradeNo": "ecpay20230312153023",
        "MerchantID": "3002607",
        "ReturnURL": "https://www.ecpay.com.tw/receive.php",
        "ItemName": "Apple iphone 15",
        "TotalAmount": "30000",
        "ChoosePayment": "ALL",
        "EncryptType": "1",
    }
    expected = hashlib.sha256(published.lower().encode()).hexdigest().upper()
    assert check_mac_value(params, HASH_KEY, HASH_IV) == expected


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("a-b_c.d!e*f(g)h", "a-b_c.d!e*f(g)h"),
        ("a~b", "a%7eb"),
        ("a b", "a+b"),
        ("a+b", "a%2bb"),
        ("a@b#c$d%e^f", "a%40b%23c%24d%25e%5ef"),
        ("a&b=c;d?e/f", "a%26b%3dc%3bd%3fe%2ff"),
        ("a\\b>c<d`e[f]g{h}i:j'k\"l,m|n", "a%5cb%3ec%3cd%60e%5bf%5dg%7bh%7di%3aj%27k%22l%2cm%7cn"),
    ],
)
def test_values_are_url_encoded_the_dotnet_way_from_ecpays_table(value, encoded):
    raw = f"hashkey=k&x={encoded}&hashiv=v".replace("=", "%3d").replace("&", "%26")
    expected = hashlib.sha256(raw.encode()).hexdigest().upper()
    assert check_mac_value({"x": value}, "k", "v") == expected


def test_verify_accepts_the_sdk_callback():
    verify({**CALLBACK, "CheckMacValue": CALLBACK_MAC}, HASH_KEY, HASH_IV)


def test_verify_accepts_a_lower_case_check_mac_value():
    verify({**CALLBACK, "CheckMacValue": CALLBACK_MAC.lower()}, HASH_KEY, HASH_IV)


def test_tampered_field_fails_verification():
    params = {**CALLBACK, "CheckMacValue": CALLBACK_MAC, "TradeAmt": "5"}
    with pytest.raises(SignatureError, match="does not match"):
        verify(params, HASH_KEY, HASH_IV)


def test_added_field_fails_verification():
    params = {**CALLBACK, "CheckMacValue": CALLBACK_MAC, "CustomField1": ""}
    with pytest.raises(SignatureError, match="does not match"):
        verify(params, HASH_KEY, HASH_IV)


def test_wrong_hash_key_fails_verification():
    with pytest.raises(SignatureError):
        verify({**CALLBACK, "CheckMacValue": CALLBACK_MAC}, "wrongkey", HASH_IV)


@pytest.mark.parametrize("mac", [None, ""])
def test_missing_check_mac_value_fails_verification(mac):
    params = dict(CALLBACK)
    if mac is not None:
        params["CheckMacValue"] = mac
    with pytest.raises(SignatureError, match="no CheckMacValue"):
        verify(params, HASH_KEY, HASH_IV)


def test_non_ascii_check_mac_value_fails_verification_cleanly():
    with pytest.raises(SignatureError):
        verify({**CALLBACK, "CheckMacValue": "交易成功"}, HASH_KEY, HASH_IV)


def test_empty_fields_are_part_of_the_hash():
    with_empty = {**CALLBACK, "CustomField1": ""}
    assert check_mac_value(with_empty, HASH_KEY, HASH_IV) != CALLBACK_MAC
    signed = {**with_empty, "CheckMacValue": check_mac_value(with_empty, HASH_KEY, HASH_IV)}
    verify(signed, HASH_KEY, HASH_IV)


def test_keys_are_sorted_case_insensitively():
    # Case-sensitive sorting would put "Zeta" before "alpha".
    params = {"Zeta": "1", "alpha": "2"}
    raw = "hashkey%3dk%26alpha%3d2%26zeta%3d1%26hashiv%3dv"
    assert check_mac_value(params, "k", "v") == hashlib.sha256(raw.encode()).hexdigest().upper()


def test_input_order_does_not_change_the_value():
    reordered = dict(reversed(list(CALLBACK.items())))
    assert check_mac_value(reordered, HASH_KEY, HASH_IV) == CALLBACK_MAC


def test_notification_fields_are_read():
    note = parse_notification(signed_callback())
    assert note.merchant_id == "3002607"
    assert note.merchant_trade_no == "WPLL4E341E122DB44D62"
    assert note.trade_no == "1905090000188278"
    assert note.rtn_code == "1"
    assert note.rtn_msg == "交易成功"
    assert note.trade_amt == 500
    assert note.payment_date == "2019/05/09 00:01:21"
    assert note.payment_type == "Credit_CreditCard"
    assert note.simulate_paid is False
    assert note.paid is True
    assert note.raw["PaymentTypeChargeFee"] == "1"


def test_failed_payment_is_not_paid():
    assert parse_notification(signed_callback(RtnCode="10100058", RtnMsg="fail")).paid is False


def test_simulated_payment_is_flagged():
    assert parse_notification(signed_callback(SimulatePaid="1")).simulate_paid is True


@pytest.mark.parametrize("field", ["MerchantID", "MerchantTradeNo", "RtnCode", "TradeAmt"])
def test_notification_without_a_required_field_is_malformed(field):
    params = dict(CALLBACK)
    del params[field]
    with pytest.raises(MalformedEvent, match=field):
        parse_notification(params)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"TradeAmt": "12.5"}, "TradeAmt"),
        ({"TradeAmt": "-5"}, "TradeAmt"),
        ({"TradeAmt": "\uff15\uff10\uff10"}, "TradeAmt"),
        ({"TradeAmt": " 500"}, "TradeAmt"),
        ({"RtnCode": "ok"}, "RtnCode"),
        ({"SimulatePaid": "yes"}, "SimulatePaid"),
    ],
)
def test_notification_with_an_invalid_field_is_malformed(changes, message):
    with pytest.raises(MalformedEvent, match=message):
        parse_notification({**CALLBACK, **changes})


def make_checkout(**overrides):
    kwargs = {
        "merchant_id": "3002607",
        "merchant_trade_no": "RH20240101A1",
        "trade_date": datetime(2024, 1, 2, 3, 4, 5),
        "total_amount": 1200,
        "trade_desc": "Reelhouse order",
        "item_name": "Film pass x 1#Popcorn x 2",
        "return_url": "https://shop.example.com/ecpay/return",
        "hash_key": HASH_KEY,
        "hash_iv": HASH_IV,
    }
    return checkout_params(**{**kwargs, **overrides})


def test_checkout_params_round_trip_through_verify():
    params = make_checkout(client_back_url="https://shop.example.com/orders/1")
    verify(params, HASH_KEY, HASH_IV)
    assert params["ClientBackURL"] == "https://shop.example.com/orders/1"


def test_checkout_params_hold_the_aio_fields():
    params = make_checkout()
    assert params["MerchantID"] == "3002607"
    assert params["MerchantTradeNo"] == "RH20240101A1"
    assert params["MerchantTradeDate"] == "2024/01/02 03:04:05"
    assert params["PaymentType"] == "aio"
    assert params["TotalAmount"] == "1200"
    assert params["ChoosePayment"] == "ALL"
    assert params["EncryptType"] == "1"
    assert "ClientBackURL" not in params
    assert all(isinstance(value, str) for value in params.values())


def test_aware_trade_date_is_sent_in_taiwan_time():
    params = make_checkout(trade_date=datetime(2024, 1, 1, 20, 0, tzinfo=UTC))
    assert params["MerchantTradeDate"] == "2024/01/02 04:00:00"
    other = make_checkout(trade_date=datetime(2024, 1, 2, 4, tzinfo=timezone(timedelta(hours=8))))
    assert other["MerchantTradeDate"] == "2024/01/02 04:00:00"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"merchant_trade_no": "A" * 21}, "MerchantTradeNo"),
        ({"merchant_trade_no": ""}, "MerchantTradeNo"),
        ({"merchant_trade_no": "RH-2024"}, "MerchantTradeNo"),
        ({"merchant_trade_no": "訂單123"}, "MerchantTradeNo"),
        ({"total_amount": 0}, "TotalAmount"),
        ({"total_amount": True}, "TotalAmount"),
        ({"total_amount": 12.5}, "TotalAmount"),
        ({"item_name": ""}, "ItemName"),
        ({"trade_desc": ""}, "TradeDesc"),
        ({"return_url": ""}, "ReturnURL"),
    ],
)
def test_invalid_checkout_input_is_refused(overrides, message):
    with pytest.raises(ValueError, match=message):
        make_checkout(**overrides)


def test_twenty_character_trade_number_is_accepted():
    assert make_checkout(merchant_trade_no="A1" * 10)["MerchantTradeNo"] == "A1" * 10


def test_checkout_urls_point_at_aio_v5():
    assert STAGE_CHECKOUT_URL == "https://payment-stage.ecpay.com.tw/Cashier/AioCheckOut/V5"
    assert PRODUCTION_CHECKOUT_URL == "https://payment.ecpay.com.tw/Cashier/AioCheckOut/V5"
