"""The solver package's error family."""

from __future__ import annotations

from keel.errors import ChainError, RefusedError, UsageError


class SolverError(UsageError):
    """A malformed auction or solution: names the offending field. HTTP 400."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NoSolution(RefusedError):
    """The strategy found nothing it can settle in this auction."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class SimulationFailed(RefusedError):
    """`settle()` reverts in simulation: the reason is the decoded custom error."""


class SubmissionFailed(ChainError):
    """The settlement transaction reverted or was not mined."""
