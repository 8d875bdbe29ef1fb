"""The auctioneer's own pool-deviation check: a winner swaps only through pools the breaker keeps. Pure.

keel's solvers leave out pools far from the feed and from their own TWAP (`solver.breakers`),
so a price pushed in the block before the snapshot does not reach the user. A solver that
trusts the pushed pools would still clear inside the user's signed bounds and oracle guard
(a 25 or 50 bps push fits in a 100 bps guard) and could win the round with the push priced
in. So the auctioneer reads which pools each swap goes through and refuses a solution that
swaps through a pool the same breaker (same limits, same references) leaves out.

It fails closed. When the breaker leaves out no pool of the auction there is nothing to guard
and no interaction is judged here. When it leaves out any, every interaction must be a router
swap this module reads — V2 `swapExactTokensForTokens(amountIn, amountOutMin, path, to,
deadline)` (each consecutive pair of `path` one V2 pool) or V3 `exactInputSingle((tokenIn,
tokenOut, fee, ...))` / `exactInput((path, ...))` (a packed token‖fee‖token path), or a V2
pair's own `swap(amount0Out, amount1Out, to, data)` on a pair of the auction (a closed batch,
`solver.closing`: the pool is the target itself) — whose
arguments re-encode to exactly its calldata (no dirty words, no trailing or padded path bytes
a router would read differently), and every hop must be a pool of the auction's liquidity that
the breaker keeps. Anything else (another selector, `multicall`, an exact-output swap, a pool
the auction does not list) is refused with the reason: the auctioneer cannot tell which pools it
would touch. The contract lets interactions reach only the targets its owner lists (the
routers), which stops direct pool calls.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from typing import Any

from eth_abi import decode, encode
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
V2_PAIR_SWAP = _selector("swap(uint256,uint256,address,bytes)")


def _v3_path(path: bytes) -> Iterator[tuple[str, str, int]]:
    """(tokenIn, tokenOut, fee) per hop of a packed V3 path: token (20) ‖ fee (3) ‖ token (20) ‖ …"""
    if len(path) < 43 or (len(path) - 20) % 23:
        raise ValueError("not a V3 path")
    for at in range(0, len(path) - 20, 23):
        yield ("0x" + path[at:at + 20].hex(), "0x" + path[at + 23:at + 43].hex(),
               int.from_bytes(path[at + 20:at + 23], "big"))


def _canonical(types: list[str], args: bytes) -> tuple[Any, ...]:
    """Decode `args` as `types` and insist they re-encode to exactly the same bytes."""
    values = decode(types, args)
    if encode(types, values) != args:
        raise ValueError("not the canonical encoding")
    return tuple(values)


def swaps(interaction: Interaction) -> list[tuple[str, str, int | None]] | None:
    """(token a, token b, V3 fee or None for V2) per pool a router swap goes through; None if it is not a
    swap this module reads in its canonical encoding."""
    data = bytes(interaction.call_data)
    selector, args = data[:4], data[4:]
    try:
        if selector == V2_EXACT_IN:
            path = _canonical(["uint256", "uint256", "address[]", "address", "uint256"], args)[2]
            return [(a, b, None) for a, b in pairwise(path)]
        if selector == V3_EXACT_IN_SINGLE:
            params = _canonical(["(address,address,uint24,address,uint256,uint256,uint256,uint160)"], args)[0]
            token_in, token_out, fee = params[:3]
            return [(token_in, token_out, fee)]
        if selector == V3_EXACT_IN:
            params = _canonical(["(bytes,address,uint256,uint256,uint256)"], args)[0]
            return list(_v3_path(params[0]))
    except (DecodingError, ValueError, OverflowError, TypeError):
        return None
    return None


def _pair_swapped(auction: Auction, interaction: Interaction) -> Pool | None:
    """The auction's V2 pair whose own `swap` `interaction` calls in its canonical encoding with no
    callback data (with data the pair would call `to` back, which could touch any pool), else None."""
    data = bytes(interaction.call_data)
    if data[:4] != V2_PAIR_SWAP:
        return None
    try:
        if _canonical(["uint256", "uint256", "address", "bytes"], data[4:])[3]:
            return None
    except (DecodingError, ValueError, OverflowError, TypeError):
        return None
    return next((p for p in auction.liquidity.pools
                 if p.kind == "v2" and p.address.lower() == interaction.target.lower()), None)


def _matches(pool: Pool, a: str, b: str, fee: int | None) -> bool:
    if {pool.token0.lower(), pool.token1.lower()} != {a.lower(), b.lower()}:
        return False
    return pool.kind == "v2" if fee is None else (pool.kind != "v2" and pool.fee_pips == fee)


UNREAD = "-"  # the pool column of a finding about a call or a hop the auctioneer cannot place


def pools_left_out(auction: Auction) -> dict[str, str]:
    """The auction's pools the breaker leaves out (address -> why), as keel's solvers do."""
    return healthy_pools(auction.liquidity, auction.reference_prices(), 0.0, DEFAULT_LIMITS, auction.twaps)[1]


def findings(auction: Auction, solution: Solution, left_out: dict[str, str] | None = None) -> list[tuple[int, str, str]]:
    """(interaction index, pool address or UNREAD, why) for each interaction that breaks the guard;
    empty when the breaker leaves out no pool of the auction. `left_out`: `pools_left_out(auction)`,
    computed here when not given."""
    left_out = pools_left_out(auction) if left_out is None else left_out
    if not left_out:
        return []
    found = []
    for k, interaction in enumerate(solution.interactions):
        pair = _pair_swapped(auction, interaction)
        if pair is not None:
            if pair.address in left_out:
                found.append((k, pair.address, left_out[pair.address]))
            continue
        hops = swaps(interaction)
        if hops is None:
            found.append((k, UNREAD, "not a router swap the auctioneer reads in its canonical encoding, so it "
                                     "cannot tell which pools it touches"))
            continue
        for a, b, fee in hops:
            pools = [p for p in auction.liquidity.pools if _matches(p, a, b, fee)]
            if not pools:
                found.append((k, UNREAD, f"a hop {a} -> {b} through no pool of the auction"))
            found.extend((k, p.address, left_out[p.address]) for p in pools if p.address in left_out)
    return found
