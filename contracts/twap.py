"""The one reader of Uniswap V3 pool oracles: `observe([window_s, 0])` → two tick cumulatives.

A pool keeps as many observations as its cardinality (the world raises it to
`world_spec.OBSERVATION_CARDINALITY`; a pool nobody raised keeps one, which every swap
overwrites). When the oldest kept observation is younger than `window_s`, `observe`
reverts with `OLD`: the pool's history is too short for that window, and the reader says so
instead of guessing — callers then use the feed alone as the reference. The arithmetic (mean
tick, price) is `routing.math.twap`'s; this module only calls the chain, many pools in one
JSON-RPC batch at one block.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi import decode, encode
from eth_utils import keccak

TWAP_WINDOW_S = 1800  # 30 minutes: a one-block push moves the mean by (push) × (block time) / 1800
OBSERVE_SELECTOR = keccak(text="observe(uint32[])")[:4]


@dataclass(frozen=True)
class Observed:
    """What one pool's `observe([window_s, 0])` gave: the two tick cumulatives, or why none."""

    pool: str
    window_s: int
    tick_cumulatives: tuple[int, int] | None
    why_not: str = ""


def observe_calldata(window_s: int) -> str:
    return "0x" + (OBSERVE_SELECTOR + encode(["uint32[]"], [[window_s, 0]])).hex()


def decode_observe(raw: bytes) -> tuple[int, int]:
    ticks, _ = decode(["int56[]", "uint160[]"], raw)
    return int(ticks[0]), int(ticks[1])


def _why(error: Any, window_s: int) -> str:
    message = str(error.get("message", error)) if isinstance(error, dict) else str(error)
    if "OLD" in message:
        return f"its oracle history is shorter than the {window_s} s TWAP window (observe reverts OLD)"
    return f"observe() failed ({message[:120]})"


def observe_pools(w3: Any, pools: Sequence[str], block: int, window_s: int = TWAP_WINDOW_S) -> dict[str, Observed]:
    """`observe([window_s, 0])` of each V3 pool at `block`, in one batch; a failure is per pool."""
    if not pools:
        return {}
    data = observe_calldata(window_s)
    try:
        answers = w3.provider.make_batch_request([("eth_call", [{"to": p, "data": data}, hex(block)]) for p in pools])
    except Exception as exc:  # a dead RPC: every pool falls back to the feed, and says why
        return {p: Observed(p, window_s, None, f"observe() could not be called ({type(exc).__name__})") for p in pools}
    if not isinstance(answers, list):
        return {p: Observed(p, window_s, None, "the node refused a batch of observe() calls") for p in pools}
    out: dict[str, Observed] = {}
    for pool, answer in zip(pools, answers, strict=True):
        if "error" in answer:
            out[pool] = Observed(pool, window_s, None, _why(answer["error"], window_s))
            continue
        raw = bytes.fromhex(str(answer["result"]).removeprefix("0x"))
        try:
            out[pool] = Observed(pool, window_s, decode_observe(raw))
        except Exception:  # not a V3 pool's answer (an empty account returns 0x)
            out[pool] = Observed(pool, window_s, None, "observe() gave no tick cumulatives")
    return out
