"""What services raise when they cannot do as asked: kinds of failure, not HTTP statuses.

Services (and the job functions, commands and admin actions that call them) raise these;
`config.api_errors` turns each kind into one HTTP status for the API, the admin shows
`message`, commands print it, and a job fails with it. Apps subclass a kind for their own
errors (`class InsufficientStock(Conflict, CommerceError)`): the kind comes first.
"""

from collections.abc import Mapping
from typing import Any


class ServiceError(Exception):
    """A request a service cannot carry out: `message` for people, `code` for programs."""

    code = "invalid"
    default_message = "The request cannot be carried out."

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        errors: Mapping[str, Any] | None = None,
        retry_after: int | None = None,
    ) -> None:
        self.errors = dict(errors or {})  # field -> messages, for input that failed checks
        self.message = message or (first_message(self.errors) if errors else self.default_message)
        if code:
            self.code = code
        self.retry_after = retry_after  # seconds, when trying again later can work
        super().__init__(self.message)


class InvalidRequest(ServiceError):
    """The input is wrong; the same request will never work."""


class TooLarge(InvalidRequest):
    """The input is over a size limit; a smaller one can work."""

    code = "too_large"


class NotAllowed(ServiceError):
    """The requester may not do this."""

    code = "permission_denied"


class Missing(ServiceError):
    """What the request names does not exist (for this requester)."""

    code = "not_found"


class Gone(Missing):
    """What the request names existed but is over (expired, failed, finished): don't retry."""

    code = "gone"


class Conflict(ServiceError):
    """The thing is not in a state that allows this now (stock, status, a concurrent writer)."""

    code = "conflict"


class Busy(Conflict):
    """Another request is changing the same thing right now; the same request can work soon."""

    code = "busy"


class LimitReached(ServiceError):
    """A quota or rate limit: it works again later or after something is finished."""

    code = "limit_reached"


class UpstreamRefused(ServiceError):
    """A provider we called for the requester refused the call (bad key, bad request)."""

    code = "upstream_refused"


class Unavailable(ServiceError):
    """A provider or service we depend on is down; trying again later can work."""

    code = "unavailable"


def first_message(errors: Any) -> str:
    """The first human message in a nested structure of field errors."""
    if isinstance(errors, Mapping):
        for field, value in errors.items():
            message = first_message(value)
            if field in ("non_field_errors", "detail"):
                return message
            return f"{field}: {message}"
    if isinstance(errors, list | tuple) and errors:
        return first_message(errors[0])
    return str(errors)
