"""Typed settings, read from the environment once per execution environment.

A function names the optional settings it cannot work without; a missing or empty variable
then fails the cold start (at import) with a message naming it, instead of the first request
failing with a ``KeyError``. infra/template.yaml sets them (tests/api/test_template_matches_code).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from verein.kernel.clock import month_day


class SettingsError(RuntimeError):
    pass


_URL = r"^https?://[^\s<>\"]+$"
_MONTH_DAY = r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"


class Association(BaseModel):
    """Who runs this site: shown on every public page; the controller the consent text names
    (DSGVO Art. 13). The template's parameters AssociationName, AssociationEmail,
    PrivacyNoticeUrl and ImprintUrl; the defaults make the local stack work out of the box."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    name: str = Field(
        default="Stadtmarketing Musterstadt e.V.", alias="ASSOCIATION_NAME", min_length=1
    )
    email: str = Field(
        default="info@verein.example", alias="ASSOCIATION_EMAIL", pattern=r"^[^@\s]+@[^@\s]+$"
    )
    privacy_notice_url: str = Field(
        default="https://verein.example/datenschutz", alias="PRIVACY_NOTICE_URL", pattern=_URL
    )
    imprint_url: str = Field(
        default="https://verein.example/impressum", alias="IMPRINT_URL", pattern=_URL
    )

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Association:
        values = os.environ if environ is None else environ
        return cls.model_validate({k: v for k, v in values.items() if v})


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    event_store_table: str = Field(alias="EVENT_STORE_TABLE", min_length=1)
    views_table: str = Field(alias="VIEWS_TABLE", min_length=1)
    claim_key_secret_arn: str | None = Field(default=None, alias="CLAIM_KEY_SECRET_ARN")
    membership_intake_function: str | None = Field(default=None, alias="MEMBERSHIP_INTAKE_FUNCTION")
    # The staff app (verein.staff_app): its table, and Cognito's managed login for it.
    staff_table: str | None = Field(default=None, alias="STAFF_TABLE")
    staff_login_url: str | None = Field(default=None, alias="STAFF_LOGIN_URL")
    staff_token_issuer: str | None = Field(default=None, alias="STAFF_TOKEN_ISSUER")
    staff_user_pool_id: str | None = Field(default=None, alias="STAFF_USER_POOL_ID")
    staff_web_client_name: str | None = Field(default=None, alias="STAFF_WEB_CLIENT_NAME")
    staff_web_client_id: str | None = Field(default=None, alias="STAFF_WEB_CLIENT_ID")
    """Known up front only locally; in AWS found by ``staff_web_client_name``."""
    # The From address of every mail (verein.mail): a verified SES identity, allowed by IAM
    # as the only From address of the function that sends.
    mail_sender: str | None = Field(default=None, alias="MAIL_SENDER", pattern=r"^[^@\s]+@[^@\s]+$")
    # The statutes' notice period (verein.membership.notice): MM-DD, a day every year has.
    notice_deadline: str = Field(default="09-30", alias="NOTICE_DEADLINE", pattern=_MONTH_DAY)
    term_end: str = Field(default="12-31", alias="TERM_END", pattern=_MONTH_DAY)
    public_base_url: str | None = Field(default=None, alias="PUBLIC_BASE_URL", pattern=_URL)
    """Where the site answers (the HTTP API's URL): links in mails start with it."""
    association: Association = Field(default_factory=Association)

    @field_validator("notice_deadline", "term_end")
    @classmethod
    def _a_day_every_year_has(cls, value: str) -> str:
        month_day(value)
        return value

    @classmethod
    def from_environment(
        cls, needs: tuple[str, ...] = (), environ: Mapping[str, str] | None = None
    ) -> Settings:
        """The settings; ``needs`` names optional variables this function requires."""
        values = os.environ if environ is None else environ
        try:
            # The association's details are checked here too, so a bad one fails the cold start.
            association = Association.from_environment(values)
            settings = cls.model_validate({**values, "association": association})
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
        f"missing, empty or invalid environment variables: {', '.join(names)} "
        "(infra/template.yaml sets them for each function)"
    )
