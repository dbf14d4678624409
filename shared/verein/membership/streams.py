"""Membership streams are named ``member#<member_id>``; only this module spells that out."""

from __future__ import annotations

PREFIX = "member#"


def stream_id(member_id: str) -> str:
    return f"{PREFIX}{member_id}"


def member_id(stream_id: str) -> str:
    return stream_id.removeprefix(PREFIX)


def is_membership(stream_id: str) -> bool:
    return stream_id.startswith(PREFIX)
