"""A member's own notice, by a signed link sent to the member's address on request.

Anyone may ask for the link with an e-mail address (``POST /membership/termination-requests``)
and gets the same answer whether or not the address is a member's: nobody learns who is one,
and only the address's owner can act, by the link mailed there. A request for a member's
address is recorded as ``NoticeLinkRequested`` on a stream of its own per member and hour
(``notice-link#<member_id>#<YYYYMMDDHH>``): a second request within the hour finds the stream
taken and is dropped, so nobody can flood a member's mailbox; the recording needs no read.
The change stream mails the link (``membership.mailer``); the link's POST records
``NoticeGiven`` with ``by_member``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

from verein.eventstore import CommandContext, DomainEvent, EventStore
from verein.kernel.decider import Decider
from verein.kernel.errors import CommandConflict
from verein.kernel.keyed_hash import KeyedHash
from verein.kernel.runner import execute
from verein.membership import streams
from verein.membership.claims import open_application_claim

PREFIX = "notice-link#"
PURPOSE = "membership-notice"
"""What a notice link's token is for (``verein.kernel.links``)."""
LINK_LIFETIME = timedelta(days=7)


class NoticeLinkRequested(DomainEvent):
    """Someone asked for the notice link of this member's address (no personal data: the
    address is the member's, known from the member's stream)."""

    event_type = "NoticeLinkRequested"
    schema_version = 1

    member_id: str
    language: Literal["de", "en"]


DOMAIN_EVENTS: tuple[type[DomainEvent], ...] = (NoticeLinkRequested,)


class RequestNoticeLink(BaseModel):
    model_config = ConfigDict(frozen=True)

    member_id: str
    language: Literal["de", "en"]


class Requested(BaseModel):
    requested: bool = False


def _request(command: RequestNoticeLink, state: Requested) -> Sequence[DomainEvent]:
    if state.requested:
        return []
    return [NoticeLinkRequested(member_id=command.member_id, language=command.language)]


def _requested(state: Requested, _: NoticeLinkRequested) -> Requested:
    return Requested(requested=True)


notice_link_decider: Decider[RequestNoticeLink, Requested] = Decider(
    state_type=Requested,
    deciders={RequestNoticeLink: _request},
    evolvers={NoticeLinkRequested: _requested},
)


def stream_id(member_id: str, at: datetime) -> str:
    return f"{PREFIX}{member_id}#{at:%Y%m%d%H}"


def is_notice_link(stream: str) -> bool:
    return stream.startswith(PREFIX)


def request_notice_link(
    store: EventStore,
    keyed_hash: KeyedHash,
    email: str,
    language: Literal["de", "en"],
    context: CommandContext,
    *,
    now: datetime,
) -> bool:
    """Record the request if ``email`` is a membership's address; True if recorded (for logs
    and tests only: the caller's answer must not depend on it)."""
    held = store.claim_holder(open_application_claim(email, keyed_hash))
    if held is None or not streams.is_membership(held.owner_stream_id):
        return False
    member_id = streams.member_id(held.owner_stream_id)
    command = RequestNoticeLink(member_id=member_id, language=language)
    try:
        execute(
            store,
            notice_link_decider,
            stream_id(member_id, now),
            command,
            context,
            subject_id=member_id,
            new_stream=True,
        )
    except CommandConflict:
        return False  # asked within this hour already: that mail is on its way
    return True
