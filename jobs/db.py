"""Surviving a lost database connection in a worker (restart, failover, pg_terminate_backend)."""

import logging
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import InterfaceError, OperationalError, connection

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

CONNECTION_ERRORS = (InterfaceError, OperationalError)


def reconnecting(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Call `func`; if the connection was lost, open a new one and call it once more.

    Only outside a transaction (inside one, the work done so far is gone with the
    connection, so the caller must start again). The calls wrapped here are conditional
    updates and row-locked writes: running one twice changes nothing more than once.
    """
    try:
        return func(*args, **kwargs)
    except CONNECTION_ERRORS:
        if connection.in_atomic_block:
            raise
        logger.warning("database connection lost; reconnecting once", exc_info=True)
        connection.close()
        return func(*args, **kwargs)
