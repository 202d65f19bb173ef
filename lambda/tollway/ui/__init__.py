"""The admin UI at ``/ui``: a small client app (``static/``) that reads and changes data through the admin API.

The browser never holds a key: a sign-in (master key, admin/viewer/team-admin virtual key, or OIDC SSO)
is exchanged for a signed, expiring session cookie (``session``); every state change carries a CSRF token
bound to that session (``guard``); admin calls go through ``/ui/api/admin/...``, which replays them in
process against the admin API with the session's ``AuthContext`` (``forward``), so RBAC is the API's own.
"""
