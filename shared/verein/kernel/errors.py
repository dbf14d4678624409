"""Errors every feature raises, each with its meaning in HTTP (the web layer reads it)."""

from __future__ import annotations


class DomainRuleViolated(Exception):
    """A command breaks a business rule. ``code`` names the rule (and keys its translated
    message); ``status`` is its HTTP meaning: 409 (conflicts with the current state, the usual
    case), 404 (the thing does not exist) or 422 (the command itself is unacceptable)."""

    def __init__(self, code: str, status: int = 409) -> None:
        super().__init__(code)
        self.code = code
        self.status = status


class CommandConflict(Exception):
    """Retries were exhausted because other writers kept changing the stream (HTTP 409)."""
