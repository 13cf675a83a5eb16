"""Every write of the commerce app, one module per area."""
