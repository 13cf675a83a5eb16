"""Concurrency on PostgreSQL: no overselling, and duplicate webhooks change state once.

Each thread uses its own database connection (Django opens one per thread), so these
tests need real row locks: they are skipped on SQLite, which runs one writer at a time.
"""

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from commerce.errors import InsufficientStock, InvalidOrderRequest
from commerce.models import (
    EventProcessingStatus,
    Order,
    OrderStatus,
    PaymentEvent,
    PaymentStatus,
    Product,
    Refund,
)
from commerce.services.orders import OrderLine, order_place
from commerce.services.payment_events import payment_event_process
from commerce.services.refunds import refund_request
from jobs.models import ProcessingJob
from notifications.models import Notification
from tests.commerce.conftest import post_stripe, stripe_event
from tests.commerce.factories import PaymentFactory, ProductFactory, order_with_item
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL row locks; run with DATABASE_URL=postgres://...",
    ),
]


def _run_together(calls: list[Callable[[], Any]]) -> list[Any]:
    """Start every call at the same moment in its own thread; return results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def worker(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # collected and asserted on by the test
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_twenty_concurrent_orders_for_five_units_place_exactly_five():
    product = ProductFactory(stock=5)
    buyers = [UserFactory() for _ in range(20)]

    results = _run_together(
        [
            (lambda buyer=buyer: order_place(user=buyer, lines=[OrderLine(product.pk, 1)]))
            for buyer in buyers
        ]
    )

    placed = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, InsufficientStock)]
    assert len(placed) == 5, results
    assert len(refused) == 15, results
    product.refresh_from_db()
    assert product.stock == 0
    assert Order.objects.count() == 5


def test_concurrent_orders_over_two_products_never_deadlock_or_oversell():
    first, second = ProductFactory(stock=6), ProductFactory(stock=6)
    buyers = [UserFactory() for _ in range(10)]

    def order(buyer, reverse: bool) -> Order:
        lines = [OrderLine(first.pk, 1), OrderLine(second.pk, 1)]
        return order_place(user=buyer, lines=lines[::-1] if reverse else lines)

    results = _run_together(
        [(lambda b=b, i=i: order(b, reverse=i % 2 == 0)) for i, b in enumerate(buyers)]
    )

    assert sum(isinstance(r, Order) for r in results) == 6, results
    assert all(isinstance(r, Order | InsufficientStock) for r in results), results
    assert set(Product.objects.values_list("stock", flat=True)) == {0}


def test_same_webhook_delivered_ten_times_at_once_changes_the_order_once():
    order = order_with_item(product=ProductFactory(price="500.00"))
    body = stripe_event(order_id=order.pk, amount=50000)

    responses = _run_together([(lambda: post_stripe(APIClient(), body)) for _ in range(10)])
    # the worker may see the job more than once (at-least-once): process it concurrently too
    event = PaymentEvent.objects.get()
    outcomes = _run_together([(lambda: payment_event_process(event_id=event.pk))] * 10)

    assert [r.status_code for r in responses] == [200] * 10, responses
    assert sum(not r.data["duplicate"] for r in responses) == 1
    assert PaymentEvent.objects.count() == 1
    assert ProcessingJob.objects.filter(job_type="process_payment_event").count() == 1
    assert sum(o.get("note") != "already processed" for o in outcomes) == 1, outcomes
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.status_changes.filter(to_status=OrderStatus.PAID).count() == 1
    assert (
        Notification.objects.filter(template="commerce/en/order_paid", channel="email").count() == 1
    )


def test_distinct_success_events_processed_at_once_pay_the_order_once():
    order = order_with_item(product=ProductFactory(price="500.00"))
    client = APIClient()
    for n in range(5):
        post_stripe(client, stripe_event(order_id=order.pk, amount=50000, event_id=f"evt_{n}"))
    events = list(PaymentEvent.objects.values_list("pk", flat=True))

    _run_together([(lambda pk=pk: payment_event_process(event_id=pk)) for pk in events])

    statuses = list(PaymentEvent.objects.values_list("processing_status", flat=True))
    assert statuses.count(EventProcessingStatus.PROCESSED) == 1
    assert statuses.count(EventProcessingStatus.IGNORED) == 4
    order.refresh_from_db()
    assert order.status_changes.filter(to_status=OrderStatus.PAID).count() == 1
    assert (
        Notification.objects.filter(template="commerce/en/order_paid", channel="email").count() == 1
    )


def test_concurrent_refunds_never_give_back_more_than_was_paid():
    order = order_with_item(status=OrderStatus.PAID)
    PaymentFactory(order=order, status=PaymentStatus.SUCCEEDED, provider="ecpay")
    staff = UserFactory(is_staff=True)

    results = _run_together(
        [lambda: refund_request(order=order, amount=Decimal("7.50"), by=staff) for _ in range(4)]
    )

    # 12.50 paid: one 7.50 refund fits, the others are refused with what is left
    refunds = [r for r in results if isinstance(r, Refund)]
    refused = [r for r in results if isinstance(r, InvalidOrderRequest)]
    assert len(refunds) == 1, results
    assert len(refused) == 3, results
    assert "5.00" in refused[0].message
    assert Refund.objects.count() == 1
