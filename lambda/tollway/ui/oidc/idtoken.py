"""ID token verification: signature (RS256/ES256 against the issuer's JWKS), ``iss``, ``aud``, ``exp``,
``iat`` and ``nonce``. PyJWT (with ``cryptography``) is imported here only, so only SSO sign-ins load it.
"""

from __future__ import annotations

from typing import Any

from tollway.errors import AuthenticationError

ALGORITHMS = ("RS256", "ES256")
LEEWAY_SECONDS = 30


class UnknownSigningKey(AuthenticationError):
    """The token names a ``kid`` the JWKS lacks (refresh the JWKS once, then refuse)."""


def _refuse(reason: str) -> AuthenticationError:
    return AuthenticationError(f"The SSO sign-in was refused: {reason}.", code="sso_invalid_token")


def verify(token: str, jwks: dict[str, Any], *, issuer: str, client_id: str, nonce: str) -> dict[str, Any]:
    """The verified claims of ``token``; AuthenticationError naming why it was refused."""
    import jwt

    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise _refuse("the ID token is malformed") from None
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise _refuse(f"ID tokens signed with {algorithm!r} are not accepted")
    kid = header.get("kid")
    candidates = [k for k in jwks.get("keys", []) if isinstance(k, dict) and (kid is None or k.get("kid") == kid)
                  and k.get("use", "sig") == "sig"]
    if not candidates:
        raise UnknownSigningKey("The SSO sign-in was refused: the ID token's signing key is unknown.",
                                code="sso_invalid_token")
    try:
        key = jwt.PyJWK(candidates[0], algorithm=algorithm)
        claims: dict[str, Any] = jwt.decode(
            token, key=key, algorithms=[algorithm], audience=client_id, issuer=issuer, leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]})
    except jwt.ExpiredSignatureError:
        raise _refuse("the ID token has expired") from None
    except jwt.InvalidAudienceError:
        raise _refuse("the ID token is for another client (aud)") from None
    except jwt.InvalidIssuerError:
        raise _refuse("the ID token is from another issuer (iss)") from None
    except jwt.InvalidSignatureError:
        raise _refuse("the ID token's signature does not verify") from None
    except jwt.PyJWTError as exc:
        raise _refuse(f"the ID token is invalid ({type(exc).__name__})") from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise _refuse("the ID token's authorized party (azp) is another client")
    if claims.get("nonce") != nonce:
        raise _refuse("the ID token's nonce does not match this sign-in")
    return claims
