"""What the composition root (``verein.bootstrap``) wires of membership, and what it needs.

The routes live in ``membership.web`` (included by the functions that serve them); the
domain events in ``membership.domain_events``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from verein.membership.domain_events import DOMAIN_EVENTS

if TYPE_CHECKING:  # types only: the API functions import this module and build no projector
    from verein.changes.projection import Projection
    from verein.eventstore import EventStore
    from verein.kernel.keyed_hash import KeyedHash
    from verein.membership.intake import ApplicationIntake
    from verein.membership.views.store import MemberViews

__all__ = ["DOMAIN_EVENTS", "MembershipPorts", "projections"]


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


def projections(ports: MembershipPorts) -> tuple[Projection, ...]:
    from verein.membership.views.projector import MemberDirectoryProjector  # noqa: PLC0415

    return (MemberDirectoryProjector(ports.event_store, ports.member_views),)
