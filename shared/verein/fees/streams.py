"""The fee schedule is one stream, ``fee-schedule``; only this module spells that out.

Small by nature (a few versions a year), so one stream whose snapshot is the whole schedule:
reading it is one head read, and two staff members setting versions at once collide on its
next version (the runner decides again on the fresh schedule).
"""

from __future__ import annotations

STREAM_ID = "fee-schedule"


def is_fee_schedule(stream_id: str) -> bool:
    return stream_id == STREAM_ID
