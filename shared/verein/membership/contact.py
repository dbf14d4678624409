"""A membership's current e-mail address, from its domain events (the decision state holds no
personal data, so use cases that move the address's claim read it from the history)."""

from __future__ import annotations

from collections.abc import Iterable

from verein.kernel.domain_events import DomainEvent
from verein.membership.domain_events import ContactDetailsChanged, MembershipApplied


def current_email(domain_events: Iterable[DomainEvent]) -> str | None:
    email: str | None = None
    for domain_event in domain_events:
        if isinstance(domain_event, MembershipApplied | ContactDetailsChanged):
            email = domain_event.email or email  # a change without a new address keeps it
    return email
