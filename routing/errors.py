"""The routing family of errors: each names the field a caller can fix."""

from __future__ import annotations

from keel.errors import ChainError, NotFoundError, RefusedError, UsageError


class RoutingError(UsageError):
    """Bad routing input: an amount, a method, a demand. `field` names what to fix."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnknownTokenError(NotFoundError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class SnapshotError(RoutingError):
    """A liquidity snapshot file that does not parse or is inconsistent."""


class NoLiquidityError(RefusedError):
    """The pools cannot carry the demand at all (empty pool set, no path, or all liquidity too small)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class PoolMathError(RefusedError):
    """A swap the pool itself would refuse (no liquidity left in the known tick range, zero output)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class DiscoveryError(ChainError):
    """The chain answered something that cannot be turned into a pool."""

