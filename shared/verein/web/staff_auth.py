"""Staff authorization: API Gateway's JWT authorizer proved who it is; this checks the role."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

STAFF_GROUP = "staff"


def groups_from_claims(claims: Mapping[str, Any]) -> set[str]:
    """Cognito groups from JWT claims as API Gateway HTTP APIs pass them.

    HTTP APIs turn an array claim into one string like ``"[staff admin]"``; a list is accepted
    too (direct invocations, tests).
    """
    raw = claims.get("cognito:groups")
    if raw is None:
        return set()
    if isinstance(raw, list | tuple | set):
        return {str(g) for g in raw}
    return {g for g in str(raw).strip("[]").replace(",", " ").split() if g}


def is_staff(claims: Mapping[str, Any]) -> bool:
    return STAFF_GROUP in groups_from_claims(claims)
