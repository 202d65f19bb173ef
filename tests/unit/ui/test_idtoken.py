"""ID-token checks beyond the loopback flow: algorithm confusion, ``alg: none``, ``azp``, unknown ``kid``."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tollway.errors import AuthenticationError
from tollway.ui.oidc import idtoken

ISSUER, CLIENT = "https://idp.example", "client-1"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
JWK = {**json.loads(jwt.get_algorithm_by_name("RS256").to_jwk(KEY.public_key())), "kid": "k1"}
JWKS = {"keys": [JWK]}


def _claims(**extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": ISSUER, "aud": CLIENT, "sub": "u", "iat": now, "exp": now + 60, "nonce": "n", **extra}


def _verify(token: str) -> dict[str, Any]:
    return idtoken.verify(token, JWKS, issuer=ISSUER, client_id=CLIENT, nonce="n")


def test_a_good_token_verifies() -> None:
    assert _verify(jwt.encode(_claims(), KEY, algorithm="RS256", headers={"kid": "k1"}))["sub"] == "u"


def test_unsigned_and_hmac_tokens_are_refused() -> None:
    unsigned = jwt.encode(_claims(), None, algorithm="none", headers={"kid": "k1"})
    with pytest.raises(AuthenticationError, match="'none'"):
        _verify(unsigned)
    hmac_token = jwt.encode(_claims(), "a-shared-secret-of-32-bytes-or-more!", algorithm="HS256",
                            headers={"kid": "k1"})
    with pytest.raises(AuthenticationError, match="HS256"):
        _verify(hmac_token)


def test_several_audiences_need_this_client_as_authorized_party() -> None:
    token = jwt.encode(_claims(aud=[CLIENT, "other"]), KEY, algorithm="RS256", headers={"kid": "k1"})
    with pytest.raises(AuthenticationError, match="azp"):
        _verify(token)
    token = jwt.encode(_claims(aud=[CLIENT, "other"], azp=CLIENT), KEY, algorithm="RS256", headers={"kid": "k1"})
    assert _verify(token)["azp"] == CLIENT


def test_an_unknown_kid_asks_for_a_jwks_refresh() -> None:
    token = jwt.encode(_claims(), KEY, algorithm="RS256", headers={"kid": "rotated"})
    with pytest.raises(idtoken.UnknownSigningKey):
        _verify(token)
