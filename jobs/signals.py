"""Signals the job engine sends after a job reaches a final state.

Sent inside the transaction that changed the job; receivers must only enqueue work
on commit (`transaction.on_commit`). `sender` is the ProcessingJob class, `job` the row.
"""

from django.dispatch import Signal

job_completed = Signal()
job_failed = Signal()
job_cancelled = Signal()
