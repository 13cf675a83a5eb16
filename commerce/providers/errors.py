"""Errors raised while checking and reading payment provider callbacks."""


class SignatureError(ValueError):
    """A callback's signature is missing, malformed, stale or does not match."""


class MalformedEvent(ValueError):
    """A callback is authentic but its content cannot be read as an event."""


class ProviderUnavailable(Exception):
    """A provider's API could not answer now (network, timeout, rate limit, 5xx)."""


class ProviderRefused(Exception):
    """A provider's API refused the request; asking again the same way will not help."""
