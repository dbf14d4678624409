"""The registry of working groups is one stream, ``working-groups``; only this module spells
that out.

Small by nature (dozens of groups), so one stream whose snapshot is the whole registry: reading
it is one head read, and two staff members changing groups at once collide on its next version
(the runner decides again on the fresh registry, so names stay unique).
"""

from __future__ import annotations

STREAM_ID = "working-groups"


def is_working_groups(stream_id: str) -> bool:
    return stream_id == STREAM_ID
