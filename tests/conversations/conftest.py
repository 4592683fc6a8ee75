"""Fixtures for messages: a resident with a portal log-in (Walter), and another resident on
someone else's caseload with a log-in of their own (Rosa)."""

from ..measures.conftest import other_resident, portal_user  # noqa: F401
