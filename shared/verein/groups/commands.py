"""What can be asked of the working-group registry. Input validation happens before (web
layer): names are one line, trimmed, not empty."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from verein.groups.domain_events import GroupKind


class CreateWorkingGroup(BaseModel):
    """Staff create a group; ``group_id`` is a uuid the use case made."""

    model_config = ConfigDict(frozen=True)

    group_id: str
    name: str
    kind: GroupKind
    description: str | None = None


class ChangeWorkingGroup(BaseModel):
    """A new name or description; None leaves a field as it is, "" clears the description."""

    model_config = ConfigDict(frozen=True)

    group_id: str
    name: str | None = None
    description: str | None = None


class CloseWorkingGroup(BaseModel):
    model_config = ConfigDict(frozen=True)

    group_id: str


GroupCommand = CreateWorkingGroup | ChangeWorkingGroup | CloseWorkingGroup
