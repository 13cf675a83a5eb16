"""ECPay All-In-One (AIO): CheckMacValue, payment notifications and checkout form fields."""

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import quote_plus

from .errors import MalformedEvent, SignatureError

STAGE_CHECKOUT_URL = "https://payment-stage.ecpay.com.tw/Cashier/AioCheckOut/V5"
PRODUCTION_CHECKOUT_URL = "https://payment.ecpay.com.tw/Cashier/AioCheckOut/V5"

MAC_FIELD = "CheckMacValue"
TRADE_DATE_FORMAT = "%Y/%m/%d %H:%M:%S"
TAIWAN = timezone(timedelta(hours=8), "Asia/Taipei")

# ECPay hashes the .NET HttpUtility.UrlEncode form of the string. Per ECPay's URLEncode
# table, .NET leaves - _ . ! * ( ) as they are but encodes ~ (as %7e) and a space as +.
# quote_plus encodes ! * ( ) and keeps ~, so both differences are undone after lower-casing.
_DOTNET_UNESCAPES = (
    ("%2d", "-"),
    ("%5f", "_"),
    ("%2e", "."),
    ("%21", "!"),
    ("%2a", "*"),
    ("%28", "("),
    ("%29", ")"),
)

_TRADE_NO = re.compile(r"[A-Za-z0-9]{1,20}")
_DIGITS = re.compile(r"[0-9]+")


def check_mac_value(params: Mapping[str, str], hash_key: str, hash_iv: str) -> str:
    """Compute the SHA-256 CheckMacValue ECPay expects for `params`."""
    fields = sorted(((k, v) for k, v in params.items() if k != MAC_FIELD), key=_sort_key)
    query = "&".join(f"{key}={value}" for key, value in fields)
    raw = f"HashKey={hash_key}&{query}&HashIV={hash_iv}"
    encoded = quote_plus(raw, safe="").replace("~", "%7e").lower()
    for escaped, char in _DOTNET_UNESCAPES:
        encoded = encoded.replace(escaped, char)
    return hashlib.sha256(encoded.encode("ascii")).hexdigest().upper()


def _sort_key(field: tuple[str, str]) -> str:
    return field[0].lower()


def verify(params: Mapping[str, str], hash_key: str, hash_iv: str) -> None:
    """Raise SignatureError unless `params` carry a CheckMacValue made with these keys."""
    received = params.get(MAC_FIELD)
    if not received:
        raise SignatureError("ECPay notification has no CheckMacValue")
    expected = check_mac_value(params, hash_key, hash_iv)
    if not hmac.compare_digest(expected.encode(), received.upper().encode("utf-8", "replace")):
        raise SignatureError("ECPay CheckMacValue does not match the notification")


@dataclass(frozen=True)
class EcpayNotification:
    """An ECPay payment result (ReturnURL) notification."""

    merchant_id: str
    merchant_trade_no: str
    trade_no: str
    rtn_code: str
    rtn_msg: str
    trade_amt: int
    payment_date: str
    payment_type: str
    # ECPay's dashboard can send a simulated payment; it must never be shipped against.
    simulate_paid: bool
    raw: dict[str, str]

    @property
    def paid(self) -> bool:
        """Tell whether ECPay reports the payment as successful (RtnCode 1)."""
        return self.rtn_code == "1"


def parse_notification(params: Mapping[str, str]) -> EcpayNotification:
    """Read an ECPay payment notification, raising MalformedEvent for missing or bad fields."""
    for name in ("MerchantID", "MerchantTradeNo", "RtnCode", "TradeAmt"):
        if not params.get(name):
            raise MalformedEvent(f"ECPay notification has no {name}")
    trade_amt = params["TradeAmt"]
    if not _DIGITS.fullmatch(trade_amt):
        raise MalformedEvent(f"ECPay TradeAmt is not a whole number: {trade_amt!r}")
    rtn_code = params["RtnCode"]
    if not _DIGITS.fullmatch(rtn_code.removeprefix("-")):
        raise MalformedEvent(f"ECPay RtnCode is not a number: {rtn_code!r}")
    simulate_paid = params.get("SimulatePaid", "0")
    if simulate_paid not in ("0", "1"):
        raise MalformedEvent(f"ECPay SimulatePaid must be 0 or 1, got {simulate_paid!r}")
    return EcpayNotification(
        merchant_id=params["MerchantID"],
        merchant_trade_no=params["MerchantTradeNo"],
        trade_no=params.get("TradeNo", ""),
        rtn_code=rtn_code,
        rtn_msg=params.get("RtnMsg", ""),
        trade_amt=int(trade_amt),
        payment_date=params.get("PaymentDate", ""),
        payment_type=params.get("PaymentType", ""),
        simulate_paid=simulate_paid == "1",
        raw=dict(params),
    )


def checkout_params(
    *,
    merchant_id: str,
    merchant_trade_no: str,
    trade_date: datetime,
    total_amount: int,
    trade_desc: str,
    item_name: str,
    return_url: str,
    client_back_url: str = "",
    hash_key: str,
    hash_iv: str,
    choose_payment: str = "ALL",
) -> dict[str, str]:
    """Build the signed form fields that POST to ECPay's AioCheckOut V5 page."""
    if not _TRADE_NO.fullmatch(merchant_trade_no):
        raise ValueError("MerchantTradeNo must be 1-20 letters or digits")
    if isinstance(total_amount, bool) or not isinstance(total_amount, int) or total_amount <= 0:
        raise ValueError("TotalAmount must be a positive whole number of TWD")
    for name, value in (
        ("MerchantID", merchant_id),
        ("TradeDesc", trade_desc),
        ("ItemName", item_name),
        ("ReturnURL", return_url),
        ("ChoosePayment", choose_payment),
    ):
        if not value:
            raise ValueError(f"{name} must not be empty")
    if trade_date.tzinfo is not None:
        # ECPay reads MerchantTradeDate as Taiwan time; naive datetimes are taken as such.
        trade_date = trade_date.astimezone(TAIWAN)
    params = {
        "MerchantID": merchant_id,
        "MerchantTradeNo": merchant_trade_no,
        "MerchantTradeDate": trade_date.strftime(TRADE_DATE_FORMAT),
        "PaymentType": "aio",
        "TotalAmount": str(total_amount),
        "TradeDesc": trade_desc,
        "ItemName": item_name,
        "ReturnURL": return_url,
        "ChoosePayment": choose_payment,
        "EncryptType": "1",
    }
    if client_back_url:
        params["ClientBackURL"] = client_back_url
    params[MAC_FIELD] = check_mac_value(params, hash_key, hash_iv)
    return params
