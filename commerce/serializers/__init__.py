"""API serializers of the commerce app, one module per area."""
