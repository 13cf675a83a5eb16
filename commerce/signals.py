"""Signals the commerce app sends; other apps listen (e.g. notifications' outbound webhooks)."""

from django.dispatch import Signal

# Sent with `order=` inside the transaction that marks the order paid.
order_paid = Signal()
