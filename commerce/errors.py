"""Errors commerce services raise; each renders as a clear 4xx through the API."""

from rest_framework import status
from rest_framework.exceptions import APIException


class CommerceError(APIException):
    """Base class: a request the shop cannot carry out as asked."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "commerce_error"
    default_detail = "The request cannot be carried out."


class InsufficientStock(CommerceError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "insufficient_stock"

    def __init__(self, *, sku: str, name: str, requested: int, available: int) -> None:
        self.sku = sku
        super().__init__(
            f"Not enough stock for {name!r} (SKU {sku}): {requested} requested, "
            f"{available} available."
        )


class ProductUnavailable(CommerceError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "product_unavailable"

    @classmethod
    def off_sale(cls, product_id: int) -> "ProductUnavailable":
        """The error customers get for a product off sale: its id only, never name or SKU."""
        return cls(f"Product {product_id} is not for sale.")


class InvalidStateTransition(CommerceError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "invalid_state"


class PaymentProviderUnavailable(CommerceError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "provider_unavailable"


class PaymentProviderError(CommerceError):
    """The payment provider refused a call we made for the client (bad key, bad request)."""

    status_code = status.HTTP_502_BAD_GATEWAY
    default_code = "provider_error"


class NotAStreamHost(CommerceError):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "not_a_stream_host"
    default_detail = (
        "Only staff and members of the stream_hosts group can host live streams; "
        "ask an operator to add you to the group."
    )


class InvalidOrderRequest(CommerceError):
    default_code = "invalid_order"


class WebhookRejected(CommerceError):
    """A payment callback that is not processed: bad signature, malformed or unknown order."""

    def __init__(self, detail: str, *, code: str) -> None:
        super().__init__(detail, code)
        self.reason_code = code


class OtpRateLimited(CommerceError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "otp_rate_limited"

    def __init__(self, detail: str, *, wait_seconds: int) -> None:
        super().__init__(detail)
        self.wait = wait_seconds


class OtpInvalid(CommerceError):
    default_code = "otp_invalid"
