"""Calldata that executes a route's hops: approve + a router swap per hop, in order.

Each hop becomes two interactions for whoever holds the tokens (the settlement contract,
or any account): `token_in.approve(router, amount_in)`, then either V2
`swapExactTokensForTokens(amount_in, amount_out, [in, out], recipient, deadline)` or V3
`SwapRouter.exactInputSingle(...)` with `amountOutMinimum = amount_out`. The minimums are
the exact amounts the integer math reported, so the batch pays exactly that or reverts.
Each is the settlement's own `contracts.interaction.Interaction`. The settlement refuses
approvals in interactions (its owner sets standing allowances to the routers), so for it
pass `approve_first=False`: only the swaps are emitted. `pair_swap` is the other way to pay
a V2 hop: the pair's own `swap(amount0Out, amount1Out, to, "")`, for a pair whose input
already sits in it (a settlement's sink, or the hop before paying it). Pure: encodes only,
sends nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from eth_abi import encode
from eth_utils import keccak

from contracts.deployment import Uniswap
from contracts.interaction import Interaction
from routing.errors import RoutingError
from routing.evaluate import Hop

DEADLINE_FAR_S = 2**32 - 1


def _sel(signature: str) -> bytes:
    return keccak(text=signature)[:4]


def approve(token: str, spender: str, amount: int) -> Interaction:
    return Interaction(token, 0, _sel("approve(address,uint256)") + encode(["address", "uint256"], [spender, amount]))


def v2_swap(router: str, hop: Hop, recipient: str, deadline_s: int) -> Interaction:
    data = _sel("swapExactTokensForTokens(uint256,uint256,address[],address,uint256)") + encode(
        ["uint256", "uint256", "address[]", "address", "uint256"],
        [hop.amount_in, hop.amount_out, [hop.token_in, hop.token_out], recipient, deadline_s],
    )
    return Interaction(router, 0, data)


def v3_swap(router: str, hop: Hop, recipient: str, deadline_s: int) -> Interaction:
    data = _sel("exactInputSingle((address,address,uint24,address,uint256,uint256,uint256,uint160))") + encode(
        ["(address,address,uint24,address,uint256,uint256,uint256,uint160)"],
        [(hop.token_in, hop.token_out, hop.fee_pips, recipient, deadline_s, hop.amount_in, hop.amount_out, 0)],
    )
    return Interaction(router, 0, data)


V2_PAIR_SWAP = _sel("swap(uint256,uint256,address,bytes)")


def pair_swap(hop: Hop, recipient: str) -> Interaction:
    """A V2 pair's own `swap` paying `hop.amount_out` of `hop.token_out` to `recipient`, with
    no callback data (164 bytes of calldata): the pair must already hold `hop.amount_in` more
    than its reserve of `hop.token_in`, or it reverts (`UniswapV2: K`)."""
    if hop.kind != "v2":
        raise RoutingError(f"a {hop.kind} pool has no pair swap: only V2 pairs are paid up front", "hops")
    token0_out = int(hop.token_out, 16) < int(hop.token_in, 16)  # a V2 pair's token0 is the lower address
    amounts = (hop.amount_out, 0) if token0_out else (0, hop.amount_out)
    data = V2_PAIR_SWAP + encode(["uint256", "uint256", "address", "bytes"], [*amounts, recipient, b""])
    return Interaction(hop.pool, 0, data)


def interactions(hops: Sequence[Hop], routers: Mapping[str, str], recipient: str,
                 deadline_s: int = DEADLINE_FAR_S, approve_first: bool = True) -> list[Interaction]:
    """approve (unless `approve_first` is False) + swap per hop. `routers` maps "v2" ->
    UniswapV2Router02, "v3" -> SwapRouter."""
    out: list[Interaction] = []
    for hop in hops:
        router = routers.get(hop.kind)
        if router is None:
            raise RoutingError(f"no router address for {hop.kind} pools", "routers")
        if approve_first:
            out.append(approve(hop.token_in, router, hop.amount_in))
        swap = v2_swap if hop.kind == "v2" else v3_swap
        out.append(swap(router, hop, recipient, deadline_s))
    return out


def routers(uniswap: Uniswap) -> dict[str, str]:
    """Pool kind -> the router that swaps through it: "v2" UniswapV2Router02, "v3" SwapRouter."""
    return {"v2": uniswap.v2_router, "v3": uniswap.swap_router}
