"""Operator views of the commerce app."""

from commerce.admin import catalog, orders, payments, streams  # noqa: F401
