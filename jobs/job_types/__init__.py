"""Job types that ship with the engine: diagnostics, maintenance and generic work."""
