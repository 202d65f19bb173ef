"""OIDC single sign-on for the admin UI: authorization code + PKCE against any issuer.

``settings`` reads ``general_settings.ui_oidc``; ``provider`` talks to the issuer (discovery, JWKS,
token endpoint); ``idtoken`` verifies ID tokens; ``mapping`` turns claims into a role and teams.
Imported only when SSO is used.
"""
