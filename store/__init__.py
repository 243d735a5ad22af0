"""Persistence: settings, SQLAlchemy schema, catalog and the derived vector index.

This layer knows nothing about models or HTTP.
"""
