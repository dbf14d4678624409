"""Staff authorization: API Gateway's JWT authorizer proved who it is; this checks the role.

The rule for group names: Cognito group names contain no whitespace (Cognito refuses them), and
the staff group is exactly ``staff``. HTTP APIs pass an array claim to the function as one
string, the elements joined by single spaces in brackets: ``["staff", "board"]`` arrives as
``"[staff board]"``. Because a group name cannot contain a space, splitting that string on
spaces gives back exactly the groups; nothing else is parsed (no commas, no stripping of
stray brackets), so ``"[a,staff]"`` is the one group ``a,staff``, not ``staff``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

STAFF_GROUP = "staff"


def groups_from_claims(claims: Mapping[str, Any]) -> frozenset[str]:
    """Cognito groups from JWT claims as an HTTP API passes them (a list is taken as it is:
    direct invocations). Anything not in either shape means no groups."""
    raw = claims.get("cognito:groups")
    if isinstance(raw, list | tuple):
        return frozenset(g for g in raw if isinstance(g, str))
    if not (isinstance(raw, str) and raw.startswith("[") and raw.endswith("]")):
        return frozenset()
    inner = raw[1:-1]
    return frozenset(inner.split(" ")) if inner else frozenset()


def is_staff(claims: Mapping[str, Any]) -> bool:
    return STAFF_GROUP in groups_from_claims(claims)


def is_staff_request(event: Mapping[str, Any]) -> bool:
    """The same check on a raw HTTP API event (claims as the JWT authorizer passed them)."""
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    return is_staff((authorizer.get("jwt") or {}).get("claims") or {})
