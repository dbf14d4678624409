"""What the composition root (``verein.bootstrap``) wires of membership, and what it needs.

The routes live in ``membership.web`` (included by the functions that serve them); the
domain events in ``membership.domain_events``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from verein.membership import domain_events, notice_link

DOMAIN_EVENTS = (*domain_events.DOMAIN_EVENTS, *notice_link.DOMAIN_EVENTS)
"""Membership's domain events: of member streams, and of notice-link requests."""

if TYPE_CHECKING:  # types only: the API functions import this module and build no projector
    from verein.changes.dispatcher import CommitHandler
    from verein.changes.projection import Projection
    from verein.eventstore import EventStore
    from verein.kernel.keyed_hash import KeyedHash
    from verein.mail.ledger import MailLedger
    from verein.mail.port import MailSender
    from verein.membership.intake import ApplicationIntake
    from verein.membership.numbers import MemberNumbers
    from verein.membership.views.store import MemberViews
    from verein.settings import Settings

__all__ = ["DOMAIN_EVENTS", "MailerPorts", "MembershipPorts", "projections", "reactors"]


class MembershipPorts(Protocol):
    """The adapters membership's use cases and routes are given."""

    @property
    def event_store(self) -> EventStore: ...

    @property
    def member_views(self) -> MemberViews: ...

    @property
    def keyed_hash(self) -> KeyedHash: ...

    @property
    def application_intake(self) -> ApplicationIntake: ...

    @property
    def member_numbers(self) -> MemberNumbers: ...

    @property
    def settings(self) -> Settings: ...


def projections(ports: MembershipPorts) -> tuple[Projection, ...]:
    from verein.membership.views.projector import MemberDirectoryProjector  # noqa: PLC0415

    return (MemberDirectoryProjector(ports.event_store, ports.member_views),)


class MailerPorts(Protocol):
    """What membership's reactors are built from (the change-stream function's adapters)."""

    @property
    def event_store(self) -> EventStore: ...

    @property
    def mail_sender(self) -> MailSender: ...

    @property
    def mail_ledger(self) -> MailLedger: ...

    @property
    def settings(self) -> Settings: ...

    @property
    def keyed_hash(self) -> KeyedHash: ...


def reactors(ports: MailerPorts) -> tuple[CommitHandler, ...]:
    """What membership does on the change stream besides its views: the mails. Never part of
    ``projections``, so ``membership views verify|rebuild`` sends nothing."""
    from verein.kernel.links import SignedLinks  # noqa: PLC0415
    from verein.membership.mailer import MembershipMailer  # noqa: PLC0415

    mailer = MembershipMailer(
        ports.event_store,
        ports.mail_sender,
        ports.mail_ledger,
        ports.settings,
        lambda: SignedLinks(ports.keyed_hash),
    )
    return (mailer,)
