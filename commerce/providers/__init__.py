"""Payment provider adapters: signature checks and callback parsing, free of Django."""

from .errors import MalformedEvent, SignatureError

__all__ = ("MalformedEvent", "SignatureError")
