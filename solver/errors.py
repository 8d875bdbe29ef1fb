"""The solver package's error family (each a `KeelError(detail, field)`)."""

from __future__ import annotations

from keel.errors import RefusedError, UsageError


class SolverError(UsageError):
    """A malformed auction or solution: names the offending field. HTTP 400."""


class NoSolution(RefusedError):
    """The strategy found nothing it can settle in this auction."""
