"""Stripe's REST API through the official client: PaymentIntents and refunds.

Django-free: callers pass the key, the API base and the timeout. Every failure is raised as
`ProviderUnavailable` (worth trying again: network, timeout, rate limit, Stripe 5xx) or
`ProviderRefused` (Stripe said no: bad key, bad request, nothing to refund).
"""

from dataclasses import dataclass
from typing import Any

import stripe

from .errors import ProviderRefused, ProviderUnavailable


@dataclass(frozen=True)
class StripeApi:
    secret_key: str
    api_base: str
    timeout: int = 20

    def client(self) -> stripe.StripeClient:
        # Retries are ours (jobs, or the customer asking again): one call, one answer.
        return stripe.StripeClient(
            self.secret_key,
            base_addresses={"api": self.api_base.rstrip("/")},
            max_network_retries=0,
            http_client=stripe.RequestsClient(timeout=self.timeout),
        )


@dataclass(frozen=True)
class Intent:
    id: str
    client_secret: str
    status: str
    amount: int
    currency: str


@dataclass(frozen=True)
class RefundResult:
    id: str
    status: str  # pending, requires_action, succeeded, failed or canceled
    amount: int
    failure_reason: str


def _call(what: str, function: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return function(*args, **kwargs)
    except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
        message = f"Stripe could not be reached to {what}: {_message(exc)}"
        raise ProviderUnavailable(message) from exc
    except stripe.StripeError as exc:
        status = exc.http_status or 0
        if status >= 500 or status in (408, 409, 429):
            raise ProviderUnavailable(
                f"Stripe could not {what} now ({status}): {_message(exc)}"
            ) from exc
        raise ProviderRefused(f"Stripe refused to {what} ({status}): {_message(exc)}") from exc


def _message(exc: stripe.StripeError) -> str:
    return (exc.user_message or str(exc) or type(exc).__name__)[:300]


def _intent(obj: Any) -> Intent:
    return Intent(
        id=obj.id,
        client_secret=obj.client_secret or "",
        status=obj.status or "",
        amount=int(obj.amount),
        currency=str(obj.currency).lower(),
    )


def payment_intent_create(
    api: StripeApi, *, amount: int, currency: str, metadata: dict[str, str], idempotency_key: str
) -> Intent:
    """Create a PaymentIntent; the same idempotency key gives back the same intent."""
    obj = _call(
        "create a PaymentIntent",
        api.client().v1.payment_intents.create,
        params={"amount": amount, "currency": currency.lower(), "metadata": metadata},
        options={"idempotency_key": idempotency_key},
    )
    return _intent(obj)


def payment_intent_retrieve(api: StripeApi, intent_id: str) -> Intent:
    """Fetch a PaymentIntent (its client secret and status)."""
    return _intent(
        _call("read the PaymentIntent", api.client().v1.payment_intents.retrieve, intent_id)
    )


def refund_create(
    api: StripeApi,
    *,
    payment_intent: str,
    amount: int,
    metadata: dict[str, str],
    idempotency_key: str,
) -> RefundResult:
    """Refund `amount` of a PaymentIntent's charge."""
    obj = _call(
        "refund the payment",
        api.client().v1.refunds.create,
        params={"payment_intent": payment_intent, "amount": amount, "metadata": metadata},
        options={"idempotency_key": idempotency_key},
    )
    return RefundResult(
        id=obj.id,
        status=obj.status or "",
        amount=int(obj.amount),
        failure_reason=str(getattr(obj, "failure_reason", None) or ""),
    )
