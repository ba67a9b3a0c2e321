"""The organisation tree: kinds, committees and terms, health checks, units for coverage."""
