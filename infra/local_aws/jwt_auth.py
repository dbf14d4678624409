"""Local stand-in for the Cognito user pool and API Gateway's JWT authorizer.

Tokens are RS256-signed with a key kept in the data dir, so a token printed by
``membership local token`` stays valid for a stack started later on the same data dir.
"""

from __future__ import annotations

import json
import time
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from local_aws.files import create_private_file_once, private_dir, tighten

#: Fixed, not port-dependent: a token must verify no matter which port the stack got.
#: ``.invalid`` is reserved (RFC 2606), so this can never be mistaken for a real pool.
LOCAL_ISSUER = "https://local-cognito.invalid/verein-staff"
LOCAL_CLIENT_ID = "local-staff-client"
KEY_FILE = "jwt-signing-key.pem"
DEFAULT_EMAIL = "staff@example.org"
#: Cognito CreateGroup: GroupName length 1..128, pattern [\p{L}\p{M}\p{S}\p{N}\p{P}]+.
MAX_GROUP_NAME = 128
_GROUP_NAME_CATEGORIES = frozenset("LMSNP")  # first letter of the Unicode general category


def _load_or_create_key(data_dir: Path) -> rsa.RSAPrivateKey:
    path = private_dir(data_dir) / KEY_FILE
    if not path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # A concurrent `membership local token` either wins or reads the complete winner.
        create_private_file_once(path, pem)
    tighten(path)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise ValueError(f"{path} does not hold an RSA private key")
    return loaded


def check_group_name(name: str) -> None:
    """Refuse a group name Cognito's CreateGroup would refuse.

    GroupName is 1 to 128 characters of ``[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]``: letters, marks,
    symbols, numbers and punctuation -- no spaces or other whitespace, no control characters.
    A space would also be ambiguous in the ``"[staff admin]"`` string API Gateway makes of the
    ``cognito:groups`` array.
    """
    if not 1 <= len(name) <= MAX_GROUP_NAME:
        raise ValueError(
            f"Cognito group name {name!r} must be 1 to {MAX_GROUP_NAME} characters long"
        )
    bad = sorted({ch for ch in name if unicodedata.category(ch)[0] not in _GROUP_NAME_CATEGORIES})
    if bad:
        shown = ", ".join(repr(ch) for ch in bad)
        raise ValueError(
            f"Cognito group name {name!r} contains {shown}; Cognito allows only letters, "
            "marks, numbers, symbols and punctuation (no whitespace)"
        )


def claim_as_gateway_string(value: Any) -> str:
    """Render a claim the way API Gateway HTTP APIs hand it to Lambda (always a string)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        # ["staff", "admin"] arrives as "[staff admin]": brackets, one space between items,
        # no quotes (observed on deployed HTTP APIs; AWS's documentation does not say).
        return "[" + " ".join(claim_as_gateway_string(item) for item in value) + "]"
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def gateway_authorizer_context(claims: Mapping[str, Any]) -> dict[str, Any]:
    """``requestContext.authorizer`` for a request that passed the JWT authorizer."""
    return {
        "jwt": {
            "claims": {name: claim_as_gateway_string(value) for name, value in claims.items()},
            "scopes": None,
        }
    }


class LocalCognito:
    """Issues and verifies staff tokens shaped like Cognito ID tokens."""

    def __init__(
        self, data_dir: str | Path, issuer: str = LOCAL_ISSUER, client_id: str = LOCAL_CLIENT_ID
    ) -> None:
        self._key = _load_or_create_key(Path(data_dir))
        self._public_key = self._key.public_key()
        self.issuer = issuer
        self.client_id = client_id

    def issue_token(
        self,
        groups: Sequence[str] = ("staff",),
        subject: str | None = None,
        ttl: float = 3600.0,
        email: str = DEFAULT_EMAIL,
        extra: Mapping[str, Any] | None = None,
    ) -> str:
        """A Cognito-shaped ID token; ``extra`` adds claims (the local login's ``nonce``)."""
        if isinstance(groups, str):
            raise TypeError("groups must be a sequence of group names, not one string")
        for group in groups:
            check_group_name(group)
        now = int(time.time())
        claims: dict[str, Any] = {
            # Cognito's sub is a UUID; derive it from the e-mail so it is stable across tokens.
            "sub": subject or str(uuid.uuid5(uuid.NAMESPACE_URL, f"mailto:{email}")),
            "cognito:groups": list(groups),
            "iss": self.issuer,
            "aud": self.client_id,
            "token_use": "id",
            "auth_time": now,
            "iat": now,
            "exp": now + int(ttl),
            "email": email,
            "email_verified": True,
            "cognito:username": email,
            "jti": str(uuid.uuid4()),
            **(extra or {}),
        }
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": "local"})

    def issue_access_token(
        self, groups: Sequence[str], subject: str, ttl: float = 3600.0, scope: str = "openid"
    ) -> str:
        """A Cognito-shaped access token: no ``aud``, the client in ``client_id``."""
        for group in groups:
            check_group_name(group)
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": subject,
            "cognito:groups": list(groups),
            "iss": self.issuer,
            "client_id": self.client_id,
            "token_use": "access",
            "scope": scope,
            "auth_time": now,
            "iat": now,
            "exp": now + int(ttl),
            "username": subject,
            "jti": str(uuid.uuid4()),
        }
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": "local"})

    def verify(self, authorization_header: str | None) -> dict[str, Any] | None:
        """Claims of a valid token, None for anything API Gateway would answer with 401."""
        if not authorization_header:
            return None
        token = authorization_header.strip()
        # The authorizer accepts the bare token as well as "Bearer <token>".
        if token[:7].lower() == "bearer ":
            token = token[7:].strip()
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._public_key,
                algorithms=["RS256"],
                issuer=self.issuer,
                options={"require": ["exp", "iss", "sub"], "verify_aud": False},
            )
        except jwt.PyJWTError:
            return None
        # Like API Gateway: ID tokens name the client in `aud`, access tokens in `client_id`.
        if self.client_id not in (claims.get("aud"), claims.get("client_id")):
            return None
        return claims
