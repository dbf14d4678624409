"""The fee schedule (pure): which membership types exist and what each costs a year, as
versions that are in force from a date until the next version's date.

A ``FeeSchedule`` is also the fee-schedule stream's decision state (``fees.decider``): it is
stored whole as the stream's snapshot, so reading it is one head read.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

CODE_PATTERN = "^[a-z][a-z0-9-]{0,39}$"
"""A type's code: what other features store (a membership's type), so it stays plain."""

Language = Literal["de", "en"]


class FeeType(BaseModel):
    """One membership type with its yearly fee, e.g. ``company-s`` at 120.00 EUR, or
    ``honorary`` at 0."""

    model_config = ConfigDict(frozen=True)

    code: Annotated[str, Field(pattern=CODE_PATTERN)]
    label_de: Annotated[str, Field(min_length=1)]
    label_en: Annotated[str, Field(min_length=1)]
    yearly_fee_cents: Annotated[int, Field(ge=0)]

    def label(self, language: Language) -> str:
        return self.label_de if language == "de" else self.label_en


class ScheduleVersion(BaseModel):
    """The types and fees in force from ``effective_from`` (a day in the association's time
    zone) until the day before the next version's."""

    model_config = ConfigDict(frozen=True)

    effective_from: date
    types: tuple[FeeType, ...]

    def type(self, code: str) -> FeeType | None:
        return next((t for t in self.types if t.code == code), None)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(t.code for t in self.types)


class FeeSchedule(BaseModel):
    """Every version, oldest first (one per date)."""

    model_config = ConfigDict(frozen=True)

    versions: tuple[ScheduleVersion, ...] = ()

    @field_validator("versions")
    @classmethod
    def _sorted_one_per_day(
        cls, versions: tuple[ScheduleVersion, ...]
    ) -> tuple[ScheduleVersion, ...]:
        ordered = tuple(sorted(versions, key=lambda v: v.effective_from))
        days = [v.effective_from for v in ordered]
        if len(set(days)) != len(days):
            raise ValueError("two versions for one day")
        return ordered

    def on(self, day: date) -> ScheduleVersion | None:
        """The version in force on ``day``: the latest one that took effect on or before it;
        None before the first."""
        in_force = None
        for version in self.versions:
            if version.effective_from > day:
                break
            in_force = version
        return in_force

    def fee_cents(self, code: str, day: date) -> int | None:
        """The yearly fee of type ``code`` on ``day``; None if no such type is in force."""
        version = self.on(day)
        found = version.type(code) if version else None
        return found.yearly_fee_cents if found else None

    def label(self, code: str, language: Language, day: date) -> str | None:
        version = self.on(day)
        found = version.type(code) if version else None
        return found.label(language) if found else None

    def upcoming(self, day: date) -> tuple[ScheduleVersion, ...]:
        """Versions that take effect after ``day``, soonest first."""
        return tuple(v for v in self.versions if v.effective_from > day)

    def past(self, day: date) -> tuple[ScheduleVersion, ...]:
        """Versions no longer in force on ``day`` (a later one took over), newest first."""
        current = self.on(day)
        if current is None:
            return ()
        return tuple(
            reversed([v for v in self.versions if v.effective_from < current.effective_from])
        )

    def until(self, version: ScheduleVersion) -> date | None:
        """The first day ``version`` is no longer in force (the next version's date)."""
        later = [
            v.effective_from for v in self.versions if v.effective_from > version.effective_from
        ]
        return later[0] if later else None

    def with_version(self, version: ScheduleVersion) -> FeeSchedule:
        """This schedule with ``version`` added, or replacing the one of its date."""
        others = [v for v in self.versions if v.effective_from != version.effective_from]
        return FeeSchedule(versions=(*others, version))
