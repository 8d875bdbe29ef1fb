"""How a solution's run in an auction ends, and why: one vocabulary for the wire, the rounds
database and the CLI. Pure.

`Verdict` is the outcome a node is told (`POST /notify`), the rounds database stores and
`keel auction show` prints. Every outcome but `settled` has a `DropReason`; each reason
belongs to exactly one verdict (`reason.verdict`) and has one sentence template whose
placeholders are the offending values. A `Drop` is a reason with those values (and the
field of the solution to blame, when there is one); its `sentence` is the one line the
operator reads. The database stores the reason's value and the sentence; the CLI shows both.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class Verdict(StrEnum):
    """What became of one node's answer in one round."""

    SETTLED = "settled"  # it won, and its transaction mined
    FAILED = "failed"  # it won (or came next in line), but did not settle
    LOST = "lost"  # valid and simulated, ranked below the winner
    DROPPED = "dropped"  # refused before ranking: late, malformed, a rule broken, simulation reverted
    EMPTY = "empty"  # the node had no solution to offer


class DropReason(StrEnum):
    """Why an answer did not settle: its verdict and its sentence, `{placeholders}` the offending values."""

    verdict: Verdict
    template: str

    def __new__(cls, value: str, verdict: Verdict, template: str) -> DropReason:
        member = str.__new__(cls, value)
        member._value_ = value
        member.verdict = verdict
        member.template = template
        return member

    # collect: what came back over HTTP
    NO_ANSWER_BY_DEADLINE = "no_answer_by_deadline", Verdict.DROPPED, "late: no answer by the deadline ({waited_s}s)"
    ANSWERED_LATE = "answered_late", Verdict.DROPPED, "late: answered {late_ms} ms after the deadline"
    UNREACHABLE = "unreachable", Verdict.DROPPED, "unreachable: {error}"
    NOT_JSON = "not_json", Verdict.DROPPED, "malformed: HTTP {status}, body is not JSON"
    SOLVER_ERROR = "solver_error", Verdict.DROPPED, "solver error: HTTP {status}: {error}"
    MALFORMED = "malformed", Verdict.DROPPED, "malformed: {problem}"
    NO_SOLUTION = "no_solution", Verdict.EMPTY, "no solution: {why}"
    # verify: the auction's rules, before anything touches the chain
    WRONG_AUCTION = "wrong_auction", Verdict.DROPPED, "auctionId: answers auction {answered}, not {auction}"
    WRONG_SOLVER = "wrong_solver", Verdict.DROPPED, "solver: {claimed} is not the registered account {registered}"
    NO_EXECUTIONS = "no_executions", Verdict.DROPPED, "executions: empty"
    UNKNOWN_INTENT = ("unknown_intent", Verdict.DROPPED,
                      "executions[{index}].intentId: {intent_id} is not in auction {auction}")
    REPEATED_INTENT = "repeated_intent", Verdict.DROPPED, "executions[{index}].intentId: {intent_id} is executed twice"
    FOREIGN_PRICE = "foreign_price", Verdict.DROPPED, "prices.{token}: not a token of auction {auction}"
    PRICE_NOT_POSITIVE = "price_not_positive", Verdict.DROPPED, "prices.{token}: must be positive, got {price}"
    MISSING_PRICE = ("missing_price", Verdict.DROPPED,
                     "prices.{token}: executions[{index}] trades it but it has no price")
    FOREIGN_FLOW = "foreign_flow", Verdict.DROPPED, "executions[{index}].flows.{token}: not a token of the intent"
    OVERDRAWN = ("overdrawn", Verdict.DROPPED,
                 "executions[{index}].flows.{token}: pulls {pulled}, the owner holds {held}")
    PRICE_OUT_OF_BOUNDS = ("price_out_of_bounds", Verdict.DROPPED,
                           "prices.{token}: {relative} (numeraire per unit × 1e18) is outside executions[{index}]'s "
                           "signed bounds [{low}, {high}]")
    VALUE_NOT_CONSERVED = ("value_not_conserved", Verdict.DROPPED,
                           "executions[{index}].flows: pays out more value than it takes at the clearing prices")
    FEE_ABOVE_MAX = ("fee_above_max", Verdict.DROPPED,
                     "executions[{index}].flows: the fee exceeds the intent's maxFeeBps {max_fee_bps}")
    CALLS_RELAYER = ("calls_relayer", Verdict.DROPPED,
                     "interactions[{index}].target: the Relayer holds the users' approvals; no interaction may call it")
    CALLS_SETTLEMENT = ("calls_settlement", Verdict.DROPPED,
                        "interactions[{index}].target: the settlement may not call itself")
    SINK_NOT_A_POOL_TARGET = ("sink_not_a_pool_target", Verdict.DROPPED,
                              "sinks.{token}: {sink} is not a pool target the auction lists")
    SINK_UNPRICED = "sink_unpriced", Verdict.DROPPED, "sinks.{token}: the token has no clearing price"
    SINK_INTO_PUSHED_POOL = ("sink_into_pushed_pool", Verdict.DROPPED,
                             "sinks.{token}: {sink} is a pool the pool-deviation breaker leaves out ({why})")
    SINKS_WITHOUT_INTERACTIONS = ("sinks_without_interactions", Verdict.DROPPED,
                                  "sinks: named without interactions (the contract refuses them)")
    SWAPS_THROUGH_PUSHED_POOL = ("swaps_through_pushed_pool", Verdict.DROPPED,
                                 "interactions[{index}]: swaps through pool {pool}, which the pool-deviation breaker "
                                 "leaves out ({why})")
    UNREADABLE_SWAP = ("unreadable_swap", Verdict.DROPPED,
                       "interactions[{index}]: {why}; while the pool-deviation breaker leaves pools out, every "
                       "interaction must be a swap the auctioneer can place")
    SCORE_MISMATCH = ("score_mismatch", Verdict.DROPPED,
                      "score: score mismatch: claimed {claimed}, recomputed {recomputed}")
    SCORE_NOT_POSITIVE = ("score_not_positive", Verdict.DROPPED,
                          "score: not positive ({recomputed}): the batch costs its users more than they allowed")
    UNVERIFIABLE = "unverifiable", Verdict.DROPPED, "unverifiable: {error}"
    # simulate: settle() by eth_estimateGas at the auction's block
    UNENCODABLE = "unencodable", Verdict.DROPPED, "unencodable: {error}"
    SIMULATION_REVERTS = "simulation_reverts", Verdict.DROPPED, "simulation reverts: {error}"
    SIMULATION_FAILED = "simulation_failed", Verdict.DROPPED, "simulation failed: {error}"
    GAS_EATS_SCORE = "gas_eats_score", Verdict.DROPPED, "score not positive at the simulated gas ({score})"
    DOES_NOT_FIT = ("does_not_fit", Verdict.DROPPED,
                    "does not fit: {what}; its intents wait for the next round")
    # rank
    OUTRANKED = "outranked", Verdict.LOST, "ranked {rank}: score {score} {comparison} winner's {winner_score}"
    # submit: the winner's node sends settle(), the chain mines it (or not)
    NODE_DID_NOT_SEND = "node_did_not_send", Verdict.FAILED, "won, but its node did not send: {error}"
    NODE_REFUSED = "node_refused", Verdict.FAILED, "won, but its node refused to send: HTTP {status}: {error}"
    NO_RECEIPT = "no_receipt", Verdict.FAILED, "won, but {tx_hash} has no receipt: {error}"
    REVERTED_ON_CHAIN = "reverted_on_chain", Verdict.FAILED, "won, but its transaction reverted on chain ({tx_hash})"
    NO_LONGER_SETTLES = "no_longer_settles", Verdict.FAILED, "next in line, but no longer settles: {error}"

    @classmethod
    def of_value(cls, value: str) -> DropReason:
        """The reason stored or sent as `value`; ValueError for a string keel does not know."""
        for member in cls:
            if member.value == value:
                return member
        raise ValueError(f"{value!r} is not a valid DropReason")

    @property
    def placeholders(self) -> frozenset[str]:
        return frozenset(name for _, name, _, _ in string.Formatter().parse(self.template) if name)


SETTLED_TEMPLATE = "won with score {score} (at the simulated gas); {gas_used:,} gas used on chain"


def comparison(score_e18: int, winner_e18: int) -> str:
    """How a lower-ranked score compares, in words that never print `$x < $x`: a tie is said as a tie."""
    if score_e18 == winner_e18:
        return "ties the"  # the rank then went to less gas
    if usd(score_e18) == usd(winner_e18):
        return "is less than a cent below the"
    return "<"


def usd(value_e18: int | None) -> str:
    """USD × 1e18 as a people-readable amount (for sentences only; records keep the integer)."""
    return "-" if value_e18 is None else f"${value_e18 / 10**18:,.2f}"


@dataclass(frozen=True)
class Drop:
    """A reason with its offending values; `field` is the part of the solution to blame, if any."""

    reason: DropReason
    values: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    field: str | None = None

    def __post_init__(self) -> None:
        if set(self.values) != self.reason.placeholders:
            raise ValueError(f"{self.reason.name} takes {sorted(self.reason.placeholders)}, got {sorted(self.values)}")
        object.__setattr__(self, "values", MappingProxyType(dict(self.values)))

    @classmethod
    def of(cls, reason: DropReason, field: str | None = None, **values: Any) -> Drop:
        return cls(reason, values, field)

    @property
    def verdict(self) -> Verdict:
        return self.reason.verdict

    @property
    def sentence(self) -> str:
        """The one line the operator reads: the template filled with the values, whitespace collapsed."""
        return " ".join(self.reason.template.format(**self.values).split())

    def __str__(self) -> str:
        return self.sentence
