"""Identity and access: virtual keys, teams, projects, users, IAM principals, RBAC and the audit log.

The services here hold the rules (who may do what, what a key may become); storage goes
through ``tollway.storage.identity_repo``, the only code that knows the tables' key schemas.
"""
