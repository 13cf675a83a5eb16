"""Errors commerce services raise; config.api_errors turns each kind into its HTTP status."""

from config.errors import (
    Conflict,
    InvalidRequest,
    LimitReached,
    NotAllowed,
    ServiceError,
    Unavailable,
    UpstreamRefused,
)


class CommerceError(ServiceError):
    """Base class: a request the shop cannot carry out as asked."""

    code = "commerce_error"


class InsufficientStock(Conflict, CommerceError):
    code = "insufficient_stock"

    def __init__(self, *, sku: str, name: str, requested: int, available: int) -> None:
        self.sku = sku
        super().__init__(
            f"Not enough stock for {name!r} (SKU {sku}): {requested} requested, "
            f"{available} available."
        )


class ProductUnavailable(Conflict, CommerceError):
    code = "product_unavailable"

    @classmethod
    def off_sale(cls, product_id: int) -> "ProductUnavailable":
        """The error customers get for a product off sale: its id only, never name or SKU."""
        return cls(f"Product {product_id} is not for sale.")


class InvalidStateTransition(Conflict, CommerceError):
    code = "invalid_state"


class PaymentProviderUnavailable(Unavailable, CommerceError):
    code = "provider_unavailable"


class PaymentProviderError(UpstreamRefused, CommerceError):
    """The payment provider refused a call we made for the client (bad key, bad request)."""

    code = "provider_error"


class NotAStreamHost(NotAllowed, CommerceError):
    code = "not_a_stream_host"
    default_message = (
        "Only staff and members of the stream_hosts group can host live streams; "
        "ask an operator to add you to the group."
    )


class InvalidOrderRequest(InvalidRequest, CommerceError):
    code = "invalid_order"


class WebhookRejected(InvalidRequest, CommerceError):
    """A payment callback that is not processed: bad signature, malformed or unknown order."""


class OtpRateLimited(LimitReached, CommerceError):
    code = "otp_rate_limited"

    def __init__(self, detail: str, *, wait_seconds: int) -> None:
        super().__init__(detail, retry_after=wait_seconds)


class OtpInvalid(InvalidRequest, CommerceError):
    code = "otp_invalid"
