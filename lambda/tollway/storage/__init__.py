"""DynamoDB storage: table definitions, the client, and the embedded local store.

Only this package knows table names and key schemas; the rest of Tollway goes through
repository classes defined here.
"""
