"""keel's gas model of one `settle()` transaction: the one place its constants live. Pure.

    gas = TX_BASE_GAS + calldata gas (4 per zero byte, 16 per other byte: EIP-2028)
          + BATCH_GAS
          + Σ executions (EXECUTION_GAS + TOKEN_GAS × the intent's token count)
          + Σ interactions (V2_SWAP_GAS | V3_SWAP_GAS by selector, else INTERACTION_GAS)

Calldata is priced exactly (it is known once the batch is encoded, and predicted from the
signed intent before: `execution_bytes`); the other constants are fitted by least squares
to `gasUsed` of real settlements on the fork (`bench/gas_model.py` prints the fit and each
batch's error; `tests/integration/test_gas_model.py` holds |estimate − measured| ≤ 5% per
transaction). Re-fit whenever `contracts/src` changes:

    .venv/bin/python bench/gas_model.py            # prints measured vs estimate and new constants

then paste the printed constants below. A token costs about what its pull or payout and
its outcome check cost (a transfer, balance reads); an execution what its signature, nonce
and event cost. The swap constants are fitted averages over the routes the `milp` strategy
took: a V3 swap's true cost moves with the ticks it crosses, which the calldata does not
say, so in a batch of one or two intents dominated by swaps the model can miss by ~10%;
from about ten executions up the executions dominate and it is within a few percent.

`GAS_BASE` and `GAS_PER_EXECUTION` are the same fit collapsed to a count of executions at
the typical intent of the fit (about three tokens, ~270 bytes of calldata): what
`solver.strategies.batch.estimated_gas` adds to the routed gas before a batch is encoded.
"""

from __future__ import annotations

from dataclasses import dataclass

TX_BASE_GAS = 21_000  # intrinsic cost of any transaction
ZERO_BYTE_GAS = 4
NONZERO_BYTE_GAS = 16

# fitted (bench/gas_model.py, see the module docstring): gas beyond calldata and the 21k intrinsic
# (2026-12-02, re-fit after the lone trade's gas work — the allow-list's solvers are read with
# the settlement's configuration instead of by a call (~5k a routed batch), closed batches;
# before it, issue 13's follow-up: a routed batch without sinks pulls every sell into the
# settlement and pays every buy from it, no netting walk: 12 milp batches of 10–298 executions
# of 2, 4 and 2–4 tokens; worst error under the fit 2.6%)
BATCH_GAS = 68_273
EXECUTION_GAS = 29_948
TOKEN_GAS = 13_682
V2_SWAP_GAS = 97_985
V3_SWAP_GAS = 75_262
INTERACTION_GAS = 97_985  # any other call: priced as the dearer swap

# a closed batch (solver.closing: sinks + V2 pairs' own swaps) against the same solution through the
# router, on the fork: 49–61k less (tests/integration/test_closed_route.py and a review's routes of
# one and two hops); the floor, so a closed solution never declares less gas than it uses
CLOSED_BATCH_SAVING = 49_000

V2_SWAP_SELECTOR = bytes.fromhex("38ed1739")  # swapExactTokensForTokens(uint256,uint256,address[],address,uint256)
V3_SWAP_SELECTOR = bytes.fromhex("414bf389")  # exactInputSingle((address,address,uint24,address,uint256,...))

TYPICAL_TOKENS = 3  # tokens of the fit's typical intent
TYPICAL_EXECUTION_BYTES = 270  # its calldata, ABI words included
TYPICAL_BYTE_GAS = 14  # per calldata byte of an execution (mostly non-zero; ABI padding is zero)
GAS_BASE = TX_BASE_GAS + BATCH_GAS
GAS_PER_EXECUTION = EXECUTION_GAS + TOKEN_GAS * TYPICAL_TOKENS + TYPICAL_BYTE_GAS * TYPICAL_EXECUTION_BYTES


def calldata_gas(data: bytes) -> int:
    """EIP-2028 calldata cost of `data`, exact."""
    zeros = data.count(0)
    return ZERO_BYTE_GAS * zeros + NONZERO_BYTE_GAS * (len(data) - zeros)


def execution_gas(tokens: int) -> int:
    """Gas of one execution of an intent over `tokens` tokens, calldata excluded."""
    return EXECUTION_GAS + TOKEN_GAS * tokens


def interaction_gas(call_data: bytes) -> int:
    """Gas of one interaction, by what it calls."""
    selector = bytes(call_data[:4])
    if selector == V2_SWAP_SELECTOR:
        return V2_SWAP_GAS
    if selector == V3_SWAP_SELECTOR:
        return V3_SWAP_GAS
    return INTERACTION_GAS


@dataclass(frozen=True)
class SettlementShape:
    """What the model needs of one settle() transaction: its exact calldata, the token count of
    each executed intent, and each interaction's call data."""

    calldata: bytes
    execution_tokens: tuple[int, ...]
    interaction_calls: tuple[bytes, ...] = ()


def settlement_gas(shape: SettlementShape) -> int:
    """The model's gas for the whole transaction (what its receipt's gasUsed should read)."""
    return (TX_BASE_GAS + calldata_gas(shape.calldata) + BATCH_GAS
            + sum(execution_gas(n) for n in shape.execution_tokens)
            + sum(interaction_gas(c) for c in shape.interaction_calls))


def features(shape: SettlementShape) -> tuple[int, ...]:
    """The fitted constants' multipliers for `shape`, in `FITTED` order (used by the calibration)."""
    selectors = [bytes(c[:4]) for c in shape.interaction_calls]
    v2 = selectors.count(V2_SWAP_SELECTOR)
    v3 = selectors.count(V3_SWAP_SELECTOR)
    return (1, len(shape.execution_tokens), sum(shape.execution_tokens), v2, v3 + len(selectors) - v2 - v3)


FITTED = ("BATCH_GAS", "EXECUTION_GAS", "TOKEN_GAS", "V2_SWAP_GAS", "V3_SWAP_GAS")


def fixed_gas(shape: SettlementShape) -> int:
    """The part of `settlement_gas` that is exact, not fitted: intrinsic + calldata."""
    return TX_BASE_GAS + calldata_gas(shape.calldata)
