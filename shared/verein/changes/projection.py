"""What a projection is to the rest of the system: a change-stream handler that can be rebuilt."""

from __future__ import annotations

from typing import Protocol

from verein.changes.dispatcher import CommitHandler
from verein.changes.rebuild import RebuildableView


class Projection(CommitHandler, RebuildableView, Protocol):
    """A view the change stream keeps current and ``membership views rebuild`` can rebuild."""
