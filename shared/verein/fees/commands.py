"""What can be asked of the fee schedule. Input validation happens before (web layer)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from verein.fees.schedule import FeeType, ScheduleVersion


class SetFeeSchedule(BaseModel):
    """Staff set the types and fees in force from a date (replacing that date's version)."""

    model_config = ConfigDict(frozen=True)

    effective_from: date
    types: tuple[FeeType, ...]

    @classmethod
    def of(cls, version: ScheduleVersion) -> SetFeeSchedule:
        return cls(effective_from=version.effective_from, types=version.types)


FeeCommand = SetFeeSchedule
