"""The policy room's error family: each refusal names the offending field.

`field` is a dotted path into the input (`policies[2].band`, `prices.csv:row 14`), echoed
in HTTP error bodies and in the CLI's one-line message.
"""

from __future__ import annotations

from keel.errors import RefusedError, UsageError


class PolicyError(UsageError):
    """A policy file, a portfolio, a book or a flag that cannot be used. Exit 2."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class PathError(PolicyError):
    """A price series (CSV) or a path model's parameters that cannot be used."""


class BreakerTripped(RefusedError):
    """A circuit breaker is tripped: nothing is signed or routed. Exit 5, HTTP 409."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
