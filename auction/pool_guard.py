"""The auctioneer's own pool-deviation check: a winner swaps only through pools the breaker keeps. Pure.

keel's solvers leave out pools far from the feed and from their own TWAP (`solver.breakers`),
so a price pushed in the block before the snapshot does not reach the user. A solver that
trusts the pushed pools would still clear inside the user's signed bounds and oracle guard
(a 25 or 50 bps push fits in a 100 bps guard) and could win the round with the push priced
in. So the auctioneer reads which pools each swap goes through and refuses a solution that
swaps through a pool the same breaker (same limits, same references) leaves out.

What it reads: the routers' swap calls keel's solvers emit — V2
`swapExactTokensForTokens(amountIn, amountOutMin, path, to, deadline)` (each consecutive pair
of `path` is one V2 pool) and V3 `exactInputSingle((tokenIn, tokenOut, fee, ...))` and
`exactInput((path, ...))` (a packed token‖fee‖token path). A pool is matched in the auction's
liquidity by its tokens (and fee for V3); when several pools match, the swap is refused if
any of them is left out. Calls it does not read are not judged here: the contract lets
interactions reach only the targets its owner lists (SECURITY.md), and the owner should
list only routers whose swap calls this module reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

from eth_abi import decode
from eth_abi.exceptions import DecodingError
from eth_utils import keccak

from routing.pools import Pool
from solver.breakers import DEFAULT_LIMITS, healthy_pools
from solver.domain import Auction, Interaction, Solution


def _selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


V2_EXACT_IN = _selector("swapExactTokensForTokens(uint256,uint256,address[],address,uint256)")
V3_EXACT_IN_SINGLE = _selector("exactInputSingle((address,address,uint24,address,uint256,uint256,uint256,uint160))")
V3_EXACT_IN = _selector("exactInput((bytes,address,uint256,uint256,uint256))")


def _v3_path(path: bytes) -> Iterator[tuple[str, str, int]]:
    """(tokenIn, tokenOut, fee) per hop of a packed V3 path: token (20) ‖ fee (3) ‖ token (20) ‖ …"""
    if len(path) < 43 or (len(path) - 20) % 23:
        raise ValueError("not a V3 path")
    for at in range(0, len(path) - 20, 23):
        yield ("0x" + path[at:at + 20].hex(), "0x" + path[at + 23:at + 43].hex(),
               int.from_bytes(path[at + 20:at + 23], "big"))


def swaps(interaction: Interaction) -> list[tuple[str, str, int | None]] | None:
    """(token a, token b, V3 fee or None for V2) per pool a router swap goes through; None if not a swap it reads."""
    data = bytes(interaction.call_data)
    selector, args = data[:4], data[4:]
    try:
        if selector == V2_EXACT_IN:
            path = decode(["uint256", "uint256", "address[]", "address", "uint256"], args)[2]
            return [(a, b, None) for a, b in pairwise(path)]
        if selector == V3_EXACT_IN_SINGLE:
            token_in, token_out, fee = decode(["(address,address,uint24,address,uint256,uint256,uint256,uint160)"],
                                              args)[0][:3]
            return [(token_in, token_out, fee)]
        if selector == V3_EXACT_IN:
            return list(_v3_path(decode(["(bytes,address,uint256,uint256,uint256)"], args)[0][0]))
    except (DecodingError, ValueError, OverflowError):
        return None
    return None


def _matches(pool: Pool, a: str, b: str, fee: int | None) -> bool:
    if {pool.token0.lower(), pool.token1.lower()} != {a.lower(), b.lower()}:
        return False
    return pool.kind == "v2" if fee is None else (pool.kind != "v2" and pool.fee_pips == fee)


def pools_left_out(auction: Auction, solution: Solution) -> list[tuple[int, str, str]]:
    """(interaction index, pool address, why) for each swap through a pool the breaker leaves out."""
    _, left_out = healthy_pools(auction.liquidity, auction.reference_prices(), 0.0, DEFAULT_LIMITS, auction.twaps)
    if not left_out:
        return []
    found = []
    for k, interaction in enumerate(solution.interactions):
        for a, b, fee in swaps(interaction) or []:
            for pool in auction.liquidity.pools:
                if pool.address in left_out and _matches(pool, a, b, fee):
                    found.append((k, pool.address, left_out[pool.address]))
    return found
