"""Typed settings, read from the environment once per execution environment.

A function names the optional settings it cannot work without; a missing or empty variable
then fails the cold start (at import) with a message naming it, instead of the first request
failing with a ``KeyError``. infra/template.yaml sets them (tests/api/test_template_matches_code).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class SettingsError(RuntimeError):
    pass


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    event_store_table: str = Field(alias="EVENT_STORE_TABLE", min_length=1)
    views_table: str = Field(alias="VIEWS_TABLE", min_length=1)
    claim_key_secret_arn: str | None = Field(default=None, alias="CLAIM_KEY_SECRET_ARN")
    membership_intake_function: str | None = Field(default=None, alias="MEMBERSHIP_INTAKE_FUNCTION")

    @classmethod
    def from_environment(
        cls, needs: tuple[str, ...] = (), environ: Mapping[str, str] | None = None
    ) -> Settings:
        """The settings; ``needs`` names optional variables this function requires."""
        values = os.environ if environ is None else environ
        try:
            settings = cls.model_validate(dict(values))
        except ValidationError as error:
            names = sorted({str(e["loc"][0]) for e in error.errors()})
            raise SettingsError(_message(names)) from None
        missing = [name for name in needs if not values.get(name)]
        if missing:
            raise SettingsError(_message(missing))
        return settings

    def required(self, value: str | None, name: str) -> str:
        """A setting the caller's function declared in ``needs`` (so it is present)."""
        if not value:
            raise SettingsError(_message([name]))
        return value


def _message(names: list[str]) -> str:
    return (
        f"missing or empty environment variables: {', '.join(names)} "
        "(infra/template.yaml sets them for each function)"
    )
