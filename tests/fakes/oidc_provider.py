"""A loopback OpenID Connect provider: discovery, JWKS, an auto-approving authorize endpoint and a token
endpoint that checks PKCE and client credentials and returns an ID token signed RS256 or ES256.

``next_user`` sets the claims of the next sign-in; ``tamper`` makes the next ID token wrong in one way
(``issuer``, ``audience``, ``expired``, ``signature``, ``nonce``) to exercise the gateway's refusals.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route

CLIENT_ID = "tollway-ui"
CLIENT_SECRET = "fake-oidc-client-secret"


class FakeOIDC:
    def __init__(self, algorithm: str = "RS256") -> None:
        import jwt

        self.algorithm = algorithm
        self.issuer = ""  # set once the server is up
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048) if algorithm == "RS256" \
            else ec.generate_private_key(ec.SECP256R1())
        self._other = rsa.generate_private_key(public_exponent=65537, key_size=2048) if algorithm == "RS256" \
            else ec.generate_private_key(ec.SECP256R1())
        algo = jwt.get_algorithm_by_name(algorithm)
        self._jwk = {**json.loads(algo.to_jwk(self._key.public_key())), "kid": "k1", "use": "sig", "alg": algorithm}
        self.user: dict[str, Any] = {}
        self.tamper: str | None = None
        self._codes: dict[str, dict[str, Any]] = {}
        self.token_requests: list[dict[str, str]] = []
        self.app = Starlette(routes=[
            Route("/.well-known/openid-configuration", self.discovery),
            Route("/jwks", self.jwks),
            Route("/authorize", self.authorize),
            Route("/token", self.token, methods=["POST"]),
        ])

    def next_user(self, tamper: str | None = None, **claims: Any) -> None:
        self.user, self.tamper = claims, tamper

    async def discovery(self, request: Request) -> JSONResponse:
        return JSONResponse({"issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
                             "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
                             "response_types_supported": ["code"], "subject_types_supported": ["public"],
                             "id_token_signing_alg_values_supported": [self.algorithm],
                             "code_challenge_methods_supported": ["S256"]})

    async def jwks(self, request: Request) -> JSONResponse:
        return JSONResponse({"keys": [self._jwk]})

    async def authorize(self, request: Request) -> RedirectResponse:
        q = request.query_params
        assert q["response_type"] == "code" and q["client_id"] == CLIENT_ID and q["code_challenge_method"] == "S256"
        code = secrets.token_urlsafe(16)
        self._codes[code] = {"nonce": q["nonce"], "challenge": q["code_challenge"], "redirect_uri": q["redirect_uri"]}
        return RedirectResponse(f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q['state']})}", 302)

    async def token(self, request: Request) -> JSONResponse:
        import jwt

        form = dict(parse_qsl((await request.body()).decode()))
        self.token_requests.append({k: str(v) for k, v in form.items()})
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {basic}":
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant = self._codes.pop(str(form.get("code")), None)
        verifier = str(form.get("code_verifier", ""))
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if grant is None or grant["challenge"] != challenge or grant["redirect_uri"] != form.get("redirect_uri"):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": CLIENT_ID, "sub": "user-1", "iat": now, "exp": now + 300,
                  "nonce": grant["nonce"], "email_verified": True, **self.user}
        tamper, key = self.tamper, self._key
        if tamper == "issuer":
            claims["iss"] = "https://evil.example"
        elif tamper == "audience":
            claims["aud"] = "someone-else"
        elif tamper == "expired":
            claims["iat"], claims["exp"] = now - 7200, now - 3600
        elif tamper == "nonce":
            claims["nonce"] = "replayed"
        elif tamper == "signature":
            key = self._other
        token = jwt.encode(claims, key, algorithm=self.algorithm, headers={"kid": "k1"})
        return JSONResponse({"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": token})
