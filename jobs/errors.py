"""Exceptions a job function raises to tell the engine what happened."""


class PermanentJobError(Exception):
    """Bad input or a state that retrying cannot fix: fail the job at once with this message."""


class TransientJobError(Exception):
    """A temporary failure (network, lock, remote 5xx): retry with backoff while attempts remain."""


class JobCancelled(Exception):
    """The job was cancelled; raised at a progress checkpoint to stop the work."""


class JobStateError(Exception):
    """An operation that the job's current status does not allow (e.g. cancel a finished job)."""
