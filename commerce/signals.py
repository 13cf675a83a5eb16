"""Signals the commerce app sends; other apps listen (notifications: webhooks, email, SMS)."""

from django.dispatch import Signal

# Sent with `order=` inside the transaction that marks the order paid.
order_paid = Signal()

# A message commerce has for someone, sent inside the transaction of the change it
# reports, with `channel=` ("email" or "sms"), `recipient=`, `template=` (a template
# pair under templates/{emails,sms}/), `context=` (JSON-ready) and optionally `related=`
# (the row it is about), `user=` and `urgent=` (OTP codes). The notifications app writes
# it as an outbox row (a Notification and its sending job) in that same transaction.
# `sender` is the related row's class, or None.
message_requested = Signal()
