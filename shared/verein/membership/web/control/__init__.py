"""Membership's staff pages, served by the staff web function behind the session guard
(``verein.staff_app``); the JSON staff API (``staff.py``) serves the same for scripts.

- ``register``: everyone by name, searched and filtered, or the applications by date;
  a page and its CSV;
- ``member``: a person with the history as a timeline, notes and decisions;
- ``changes``: the person's forms after the application (notice, exclusion, contact, type);
- ``dashboard``: the numbers: by status and type, joins and leaves per month, fees, queue.
"""

from __future__ import annotations

from verein.membership.web.control import changes, dashboard, member, register
from verein.membership.web.control.common import router, sections

__all__ = ["changes", "dashboard", "member", "register", "router", "sections"]
