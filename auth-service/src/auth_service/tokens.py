"""Signed identity tokens (JWT, HS256): guest identities and access tokens."""

import time
from dataclasses import dataclass

import jwt

_ISSUER = "thefirsttake-auth"
_ALGORITHM = "HS256"


class InvalidToken(Exception):
    """The token is malformed, badly signed, expired or of an unknown kind."""


@dataclass(frozen=True)
class TokenClaims:
    user_id: str
    is_guest: bool


def sign_token(*, secret: str, user_id: str, is_guest: bool, ttl_seconds: int) -> str:
    """A token naming `user_id`, valid for `ttl_seconds`."""
    now = int(time.time())
    claims = {
        "iss": _ISSUER,
        "sub": user_id,
        "typ": "guest" if is_guest else "access",
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def verify_token(*, secret: str, token: str) -> TokenClaims:
    """The claims of a valid token; raises InvalidToken otherwise."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[_ALGORITHM],
            issuer=_ISSUER,
            options={"require": ["exp", "iat", "sub", "iss"]},
        )
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from error
    kind = claims.get("typ")
    if kind not in ("guest", "access"):
        raise InvalidToken("unknown token type")
    return TokenClaims(user_id=str(claims["sub"]), is_guest=kind == "guest")
