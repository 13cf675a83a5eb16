"""Exceptions a job function raises to tell the engine what happened, and the engine's own."""

from config.errors import Conflict


class PermanentJobError(Exception):
    """Bad input or a state that retrying cannot fix: fail the job at once with this message."""


class TransientJobError(Exception):
    """A temporary failure (network, lock, remote 5xx): retry with backoff while attempts remain."""


class JobCancelled(Exception):
    """The job was cancelled; raised at a progress checkpoint to stop the work."""


def people_message(exc: BaseException, *, transient: bool) -> str:
    """What a job's owner reads about `exc`: our own messages, never an exception's internals.

    Job functions write PermanentJobError / TransientJobError messages for people. Any
    other exception can carry hosts, paths or SQL; its text and traceback are kept for
    staff (the traceback field and the log).
    """
    if isinstance(exc, PermanentJobError | TransientJobError):
        return str(exc)
    if transient:
        return "A temporary problem interrupted the job; it is tried again automatically."
    return (
        "The job stopped on an unexpected internal error; operators can see the details. "
        "Retry it, and contact support if it fails again."
    )


class JobStateError(Conflict):
    """An operation that the job's current status does not allow (e.g. cancel a finished job)."""
