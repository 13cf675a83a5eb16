"""Fixtures for commerce tests: provider secrets and signed webhook deliveries."""

import json
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from commerce.providers.ecpay import check_mac_value
from commerce.providers.stripe import sign
from tests.commerce.localstripe import TEST_KEY as LOCALSTRIPE_KEY
from tests.commerce.localstripe import localstripe_server

STRIPE_SECRET = "whsec_reelhouse_tests"
ECPAY_MERCHANT_ID = "3002607"
ECPAY_HASH_KEY = "pwFHCqoQZGmho4w6"
ECPAY_HASH_IV = "EkRm7iFT261dpevs"

STRIPE_URL = "/api/v1/webhooks/payments/stripe/"
ECPAY_URL = "/api/v1/webhooks/payments/ecpay/"

# ECPay's published ReturnURL example (its SDK) and the CheckMacValue ECPay publishes for
# it, signed with the stage keys above.
ECPAY_CALLBACK = {
    "MerchantID": "3002607",
    "MerchantTradeNo": "WPLL4E341E122DB44D62",
    "PaymentDate": "2019/05/09 00:01:21",
    "PaymentType": "Credit_CreditCard",
    "PaymentTypeChargeFee": "1",
    "RtnCode": "1",
    "RtnMsg": "交易成功",
    "SimulatePaid": "0",
    "TradeAmt": "500",
    "TradeDate": "2019/05/09 00:00:18",
    "TradeNo": "1905090000188278",
}
ECPAY_CALLBACK_MAC = "6E7F053EF215FC851A050A2FF01D72CBE440EA138DC3E905647985DDF236FD25"
ECPAY_EXAMPLE = {**ECPAY_CALLBACK, "CheckMacValue": ECPAY_CALLBACK_MAC}


@pytest.fixture(autouse=True)
def _provider_settings(settings) -> None:
    settings.STRIPE_WEBHOOK_SECRET = STRIPE_SECRET
    settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS = 300
    settings.ECPAY_MERCHANT_ID = ECPAY_MERCHANT_ID
    settings.ECPAY_HASH_KEY = ECPAY_HASH_KEY
    settings.ECPAY_HASH_IV = ECPAY_HASH_IV


@pytest.fixture
def host(user):
    """The signed-in user, made a member of the stream_hosts group."""
    user.groups.add(Group.objects.get_or_create(name="stream_hosts")[0])
    return user


def stripe_event(
    *,
    order_id: object,
    amount: int,
    event_type: str = "payment_intent.succeeded",
    event_id: str = "evt_1",
    intent_id: str = "pi_1",
    currency: str = "twd",
    created: int | None = None,
) -> bytes:
    """A Stripe PaymentIntent event body, as Stripe sends it."""
    intent: dict = {
        "id": intent_id,
        "object": "payment_intent",
        "amount": amount,
        "currency": currency,
        "metadata": {"order_id": str(order_id)},
    }
    if event_type == "payment_intent.payment_failed":
        intent["last_payment_error"] = {"message": "Your card was declined."}
    event = {
        "id": event_id,
        "object": "event",
        "type": event_type,
        "created": created or int(time.time()),
        "data": {"object": intent},
    }
    return json.dumps(event).encode()


def post_stripe(
    client: APIClient, body: bytes, *, secret: str = STRIPE_SECRET, timestamp: int | None = None
):
    """POST a body to the Stripe webhook with a valid (or chosen) signature."""
    header = sign(body, secret, timestamp=timestamp or int(time.time()))
    return client.generic(
        "POST", STRIPE_URL, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )


def ecpay_params(**changes: str) -> dict[str, str]:
    """The published example with `changes`, signed again with the stage keys."""
    params = {**ECPAY_EXAMPLE, **changes}
    params.pop("CheckMacValue")
    params["CheckMacValue"] = check_mac_value(params, ECPAY_HASH_KEY, ECPAY_HASH_IV)
    return params


def post_ecpay(client: APIClient, params: dict[str, str]):
    """POST a notification form-encoded, as ECPay does."""
    return client.generic(
        "POST", ECPAY_URL, urlencode(params), content_type="application/x-www-form-urlencoded"
    )


@pytest.fixture(scope="session")
def localstripe_base() -> Iterator[str]:
    """A localstripe server for the session; its API base URL."""
    with localstripe_server() as base:
        yield base


@pytest.fixture
def stripe_api_settings(settings, localstripe_base) -> str:
    """Point the shop's Stripe client at localstripe; return its API base."""
    settings.STRIPE_SECRET_KEY = LOCALSTRIPE_KEY
    settings.STRIPE_API_BASE = localstripe_base
    return localstripe_base


def run_jobs(job_type: str) -> list:
    """Run the waiting jobs of a type through the job engine, in this process."""
    from celery import current_app

    from jobs.models import JobStatus, ProcessingJob
    from jobs.registry import get_job_type

    task = current_app.tasks[get_job_type(job_type).task_name]
    jobs = list(
        ProcessingJob.objects.filter(
            job_type=job_type, status__in=[JobStatus.PENDING, JobStatus.QUEUED]
        ).order_by("created_at")
    )
    for job in jobs:
        task.apply(args=[str(job.pk)], task_id=job.celery_task_id)
    for job in jobs:
        job.refresh_from_db()
    return jobs
