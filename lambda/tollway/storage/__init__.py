"""Tollway's store: table definitions, the backend-neutral operations, the DynamoDB and SQLite
backends, and the repositories.

Only this package knows table names and key schemas; the rest of Tollway goes through repository
classes defined here. See docs/storage.md.
"""
