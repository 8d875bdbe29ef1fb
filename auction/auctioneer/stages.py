"""A solution's life in one round, as types. Pure.

    Asked ──answer──▶ Proposed ──rules──▶ Verified ──eth_estimateGas──▶ Simulated ──order──▶ Ranked
                                                                                           │
                                                  Settled ◀──receipt── (best Ranked) ──────┤
                                                  Lost    ◀── (every other Ranked) ────────┘
    Refused ◀── any stage, with a `Drop` (why, and the offending values)

Each stage is a frozen dataclass whose first field is the stage before it, so a `Ranked`
cannot exist without the `Simulated` it ranks, nor that without its `Verified`, nor that
without the `Proposed` answer — the type says how far a solution got, and nothing is
optional. `__post_init__` holds the chain at run time too. The three ends (`Settled`,
`Lost`, `Refused`) answer the same questions (`Outcome`): which node, what verdict, why,
and whatever numbers its furthest stage had (score, gas, rank, transaction).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auction.endpoint import Endpoint
from auction.verdicts import SETTLED_TEMPLATE, Drop, DropReason, Verdict, comparison, usd
from solver.domain import Solution


def _requires(stage: object, name: str, kind: Any) -> None:  # kind: a class or a union of classes
    if not isinstance(stage, kind):
        raise TypeError(f"{name} must be a {kind.__name__}, got {type(stage).__name__}")


@dataclass(frozen=True)
class Asked:
    """A node the auction was posted to, and how long it took to answer (or to be given up on)."""

    endpoint: Endpoint
    latency_ms: int


@dataclass(frozen=True)
class Proposed:
    """A node answered with a well-formed solution for this auction (not yet checked)."""

    asked: Asked
    solution: Solution

    def __post_init__(self) -> None:
        _requires(self.asked, "asked", Asked)


@dataclass(frozen=True)
class Verified:
    """The solution keeps every rule of `auction.verify`; `score` is recomputed at its own gas figure."""

    proposed: Proposed
    score: int  # USD × 1e18

    def __post_init__(self) -> None:
        _requires(self.proposed, "proposed", Proposed)


@dataclass(frozen=True)
class Simulated:
    """settle() of exactly `calldata` succeeds at the auction's block using `gas`; `score` is at that gas."""

    verified: Verified
    calldata: bytes
    gas: int
    score: int  # USD × 1e18 at `gas` (only positive ones are ranked)

    def __post_init__(self) -> None:
        _requires(self.verified, "verified", Verified)


@dataclass(frozen=True)
class Ranked:
    """A simulated solution's place: 1 is the best score (ties to less gas)."""

    simulated: Simulated
    rank: int

    def __post_init__(self) -> None:
        _requires(self.simulated, "simulated", Simulated)


Stage = Proposed | Verified | Simulated | Ranked


@dataclass(frozen=True)
class Simulation:
    """What eth_estimateGas said of settle(): `gas` when the batch would settle; else `error`,
    and whether the batch `reverted` (decoded revert data) or the call itself failed (a dead RPC)."""

    gas: int | None
    error: str | None = None
    reverted: bool = False

    @property
    def ok(self) -> bool:
        return self.gas is not None


def asked_of(stage: Asked | Stage) -> Asked:
    while not isinstance(stage, Asked):
        stage = stage.asked if isinstance(stage, Proposed) else _previous(stage)
    return stage


def _previous(stage: Verified | Simulated | Ranked) -> Stage:
    if isinstance(stage, Ranked):
        return stage.simulated
    if isinstance(stage, Simulated):
        return stage.verified
    return stage.proposed


def _last(stage: Asked | Stage, kind: type) -> Any:
    """The furthest stage of `kind` that `stage` passed through, or None."""
    node: Any = stage
    while not isinstance(node, Asked):
        if isinstance(node, kind):
            return node
        node = node.asked if isinstance(node, Proposed) else _previous(node)
    return None


class _Outcome:
    """What every end answers: the node, the verdict and why, and the numbers its furthest stage had."""

    stage: Asked | Stage

    @property
    def endpoint(self) -> Endpoint:
        return asked_of(self.stage).endpoint

    @property
    def latency_ms(self) -> int:
        return asked_of(self.stage).latency_ms

    @property
    def solution(self) -> Solution | None:
        proposed = _last(self.stage, Proposed)
        return proposed.solution if proposed else None

    @property
    def score(self) -> int | None:
        simulated = _last(self.stage, Simulated)
        return simulated.score if simulated else None

    @property
    def gas(self) -> int | None:
        simulated = _last(self.stage, Simulated)
        return simulated.gas if simulated else None

    @property
    def rank(self) -> int | None:
        ranked = _last(self.stage, Ranked)
        return ranked.rank if ranked else None


@dataclass(frozen=True)
class Settled(_Outcome):
    """The winner: its transaction mined with status 1."""

    stage: Ranked
    tx_hash: str
    gas_used: int

    def __post_init__(self) -> None:
        _requires(self.stage, "stage", Ranked)

    @property
    def verdict(self) -> Verdict:
        return Verdict.SETTLED

    @property
    def drop(self) -> None:
        return None

    @property
    def reason(self) -> str:
        return SETTLED_TEMPLATE.format(score=usd(self.stage.simulated.score), gas_used=self.gas_used)


@dataclass(frozen=True)
class Lost(_Outcome):
    """Valid and simulated, but another solution settled."""

    stage: Ranked
    winner_score: int

    def __post_init__(self) -> None:
        _requires(self.stage, "stage", Ranked)

    @property
    def verdict(self) -> Verdict:
        return Verdict.LOST

    @property
    def tx_hash(self) -> None:
        return None

    @property
    def drop(self) -> Drop:
        score = self.stage.simulated.score
        return Drop.of(DropReason.OUTRANKED, rank=self.stage.rank, score=usd(score),
                       comparison=comparison(score, self.winner_score), winner_score=usd(self.winner_score)
                       + (" (a tie, broken by less gas)" if score == self.winner_score else ""))

    @property
    def reason(self) -> str:
        return self.drop.sentence


@dataclass(frozen=True)
class Refused(_Outcome):
    """Out of the race at `stage` (an `Asked` when nothing usable came back), for `drop`."""

    stage: Asked | Stage
    drop: Drop
    tx_hash: str | None = None  # a winner whose transaction was sent but did not settle

    def __post_init__(self) -> None:
        _requires(self.stage, "stage", Asked | Proposed | Verified | Simulated | Ranked)
        _requires(self.drop, "drop", Drop)

    @property
    def verdict(self) -> Verdict:
        return self.drop.verdict

    @property
    def reason(self) -> str:
        return self.drop.sentence

    @property
    def pending(self) -> bool:
        """Sent, but no receipt yet: only the chain can say whether it settled (`recover` will)."""
        return self.drop.reason is DropReason.NO_RECEIPT


Outcome = Settled | Lost | Refused
