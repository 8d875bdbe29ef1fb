"""What the attack tests do on the fork by hand: ordered transactions with automine off, raw
router swaps by an attacker, V2 quotes, and revert reasons of mined transactions.

Everything goes through anvil's JSON-RPC as a real searcher's bot would: transactions are
sent to the mempool, ordered by their gas price, and mined together by `mine()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address

from contracts import revert
from contracts.world import World, anvil_account

GWEI = 10**9
# anvil dev accounts 14..19 belong to no role in the world: the attacker is one of them
ATTACKER_INDEX = 15

ERC20_ABI = [
    {"name": "balanceOf", "type": "function", "stateMutability": "view",
     "inputs": [{"name": "a", "type": "address"}], "outputs": [{"name": "", "type": "uint256"}]},
    {"name": "approve", "type": "function", "stateMutability": "nonpayable",
     "inputs": [{"name": "s", "type": "address"}, {"name": "v", "type": "uint256"}],
     "outputs": [{"name": "", "type": "bool"}]},
    {"name": "deposit", "type": "function", "stateMutability": "payable", "inputs": [], "outputs": []},
    {"name": "transfer", "type": "function", "stateMutability": "nonpayable",
     "inputs": [{"name": "to", "type": "address"}, {"name": "v", "type": "uint256"}],
     "outputs": [{"name": "", "type": "bool"}]},
]
PAIR_ABI = [
    {"name": "getReserves", "type": "function", "stateMutability": "view", "inputs": [],
     "outputs": [{"name": "r0", "type": "uint112"}, {"name": "r1", "type": "uint112"}, {"name": "t", "type": "uint32"}]},
    {"name": "token0", "type": "function", "stateMutability": "view", "inputs": [],
     "outputs": [{"name": "", "type": "address"}]},
]
V2_SWAP = "swapExactTokensForTokens(uint256,uint256,address[],address,uint256)"
V3_SWAP = "exactInputSingle((address,address,uint24,address,uint256,uint256,uint256,uint160))"
V3_QUOTE = "quoteExactInputSingle((address,address,uint256,uint24,uint160))"
FAR_DEADLINE = 2**32 - 1


def selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


@dataclass(frozen=True)
class Swap:
    """One router swap: `kind` "v2" or "v3" (then `fee_pips`), exact input, minimum output."""

    kind: str
    token_in: str
    token_out: str
    amount_in: int
    min_out: int = 0
    fee_pips: int = 0

    def calldata(self, recipient: str) -> bytes:
        if self.kind == "v2":
            return selector(V2_SWAP) + abi_encode(
                ["uint256", "uint256", "address[]", "address", "uint256"],
                [self.amount_in, self.min_out, [self.token_in, self.token_out], recipient, FAR_DEADLINE])
        return selector(V3_SWAP) + abi_encode(
            ["(address,address,uint24,address,uint256,uint256,uint256,uint160)"],
            [(self.token_in, self.token_out, self.fee_pips, recipient, FAR_DEADLINE, self.amount_in, self.min_out, 0)])

    def router(self, world: World) -> str:
        u = world.deployment.uniswap
        return u.v2_router if self.kind == "v2" else u.swap_router


def swaps_in(interactions: Any, world: World) -> list[Swap]:
    """The router swaps inside a solution's interactions (approvals skipped), decoded."""
    out = []
    for i in interactions:
        data = bytes(i.call_data)
        if data[:4] == selector(V2_SWAP):
            amount_in, min_out, path, _to, _dl = abi_decode(
                ["uint256", "uint256", "address[]", "address", "uint256"], data[4:])
            out.append(Swap("v2", to_checksum_address(path[0]), to_checksum_address(path[-1]), amount_in, min_out))
        elif data[:4] == selector(V3_SWAP):
            (t_in, t_out, fee, _to, _dl, amount_in, min_out, _lim), = abi_decode(
                ["(address,address,uint24,address,uint256,uint256,uint256,uint160)"], data[4:])
            out.append(Swap("v3", to_checksum_address(t_in), to_checksum_address(t_out), amount_in, min_out, fee))
    return out


def attacker(world: World) -> Any:
    return anvil_account(ATTACKER_INDEX)


def erc20(w3: Any, token: str) -> Any:
    return w3.eth.contract(address=to_checksum_address(token), abi=ERC20_ABI)


def balance(w3: Any, token: str, owner: str) -> int:
    return int(erc20(w3, token).functions.balanceOf(to_checksum_address(owner)).call())


def transact(w3: Any, sender: str, fn: Any, value: int = 0) -> Any:
    """Send and wait (automine on): for setup steps."""
    tx_hash = fn.transact({"from": sender, "value": value})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    assert receipt["status"] == 1
    return receipt


def fund_weth(w3: Any, world: World, who: str, amount_wei: int) -> None:
    weth = erc20(w3, world.token("WETH"))
    w3.provider.make_request("anvil_setBalance", [who, hex(amount_wei + 10**21)])
    transact(w3, who, weth.functions.deposit(), value=amount_wei)


def approve(w3: Any, who: str, token: str, spender: str) -> None:
    transact(w3, who, erc20(w3, token).functions.approve(to_checksum_address(spender), 2**256 - 1))


def v2_reserves(w3: Any, world: World, token_in: str, token_out: str) -> tuple[int, int]:
    from contracts.mainnet import v2_pair_address

    pair = w3.eth.contract(address=v2_pair_address(token_in, token_out, world.deployment.uniswap.v2_factory),
                           abi=PAIR_ABI)
    r0, r1, _ = pair.functions.getReserves().call()
    token0 = pair.functions.token0().call()
    return (r0, r1) if to_checksum_address(token0) == to_checksum_address(token_in) else (r1, r0)


def v3_quote(w3: Any, world: World, swap: Swap) -> int:
    """QuoterV2's exact output for `swap` at the latest state (it equals SwapRouter's)."""
    data = selector(V3_QUOTE) + abi_encode(["(address,address,uint256,uint24,uint160)"],
                                           [(swap.token_in, swap.token_out, swap.amount_in, swap.fee_pips, 0)])
    raw = w3.eth.call({"to": world.deployment.uniswap.quoter, "data": "0x" + data.hex()})
    return int(abi_decode(["uint256", "uint160", "uint32", "uint256"], bytes(raw))[0])


# ---- ordering transactions by hand -----------------------------------------------------

def automine(w3: Any, on: bool) -> None:
    w3.provider.make_request("evm_setAutomine", [on])


def base_fee(w3: Any) -> int:
    return int(w3.eth.get_block("latest").get("baseFeePerGas", 0))


class Mempool:
    """Transactions sent with automine off, each with an explicit nonce and gas price, mined by `mine()`."""

    def __init__(self, w3: Any) -> None:
        self.w3 = w3
        self.nonces: dict[str, int] = {}
        self.sent: list[tuple[str, bytes]] = []  # (label, tx hash)

    def send(self, label: str, sender: str, to: str, data: bytes, tip_gwei: int, gas: int = 1_500_000) -> bytes:
        sender = to_checksum_address(sender)
        nonce = self.nonces.get(sender, self.w3.eth.get_transaction_count(sender, "pending"))
        self.nonces[sender] = nonce + 1
        tx = {"from": sender, "to": to_checksum_address(to), "data": "0x" + data.hex(), "gas": gas,
              "gasPrice": 2 * base_fee(self.w3) + tip_gwei * GWEI, "nonce": nonce}
        tx_hash = bytes(self.w3.eth.send_transaction(tx))
        self.sent.append((label, tx_hash))
        return tx_hash

    def mine(self) -> dict[str, Any]:
        """Mine one block with everything pending; return receipts by label."""
        self.w3.provider.make_request("evm_mine", [])
        return {label: self.w3.eth.get_transaction_receipt(h) for label, h in self.sent}


def revert_of(w3: Any, tx_hash: bytes) -> revert.DecodedRevert:
    """The decoded revert of a mined, failed transaction (anvil's call tracer gives its output)."""
    trace = w3.provider.make_request("debug_traceTransaction", ["0x" + bytes(tx_hash).hex(), {"tracer": "callTracer"}])
    return revert.decode(trace["result"].get("output"))


# ---- pushing pools away from the oracle --------------------------------------------------

POOL_ABI = [
    {"name": "slot0", "type": "function", "stateMutability": "view", "inputs": [],
     "outputs": [{"name": "sqrtPriceX96", "type": "uint160"}, {"name": "tick", "type": "int24"},
                 {"name": "a", "type": "uint16"}, {"name": "b", "type": "uint16"}, {"name": "c", "type": "uint16"},
                 {"name": "d", "type": "uint8"}, {"name": "e", "type": "bool"}]},
]


def push_v2(w3: Any, world: World, who: str, sell: str, buy: str, factor: float) -> int:
    """Sell `sell` into the V2 pair until its price in `buy` is `factor` (< 1) of what it was.

    Returns the amount sold. `who` must hold enough `sell` and have approved the router."""
    import math

    r_in, _ = v2_reserves(w3, world, sell, buy)
    amount = int((r_in / math.sqrt(factor) - r_in) * 1000 / 997)
    swap = Swap("v2", sell, buy, amount)
    w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction({"from": who, "to": swap.router(world), "data": "0x" + swap.calldata(who).hex(),
                                 "gas": 1_000_000}))
    return amount


def push_v3(w3: Any, world: World, who: str, sell: str, buy: str, fee_pips: int, factor: float) -> None:
    """Sell `sell` into the V3 pool (a price limit stops it) until its price in `buy` is `factor` of what it was."""
    import math

    from contracts.mainnet import sort_tokens, v3_pool_address

    pool = w3.eth.contract(address=v3_pool_address(sell, buy, fee_pips, world.deployment.uniswap.v3_factory),
                           abi=POOL_ABI)
    sqrt_p = int(pool.functions.slot0().call()[0])
    zero_for_one = sort_tokens(sell, buy)[0] == to_checksum_address(sell)
    # price = token1 per token0: selling token0 lowers it, selling token1 raises it
    limit = int(sqrt_p * math.sqrt(factor)) if zero_for_one else int(sqrt_p / math.sqrt(factor))
    data = selector(V3_SWAP) + abi_encode(
        ["(address,address,uint24,address,uint256,uint256,uint256,uint160)"],
        [(sell, buy, fee_pips, who, FAR_DEADLINE, 10**30, 0, limit)])
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction({"from": who, "to": world.deployment.uniswap.swap_router, "data": "0x" + data.hex(),
                                 "gas": 3_000_000}))
    assert receipt["status"] == 1
    after = int(pool.functions.slot0().call()[0])
    assert abs(after - limit) <= limit // 10**6, "the pool reached the pushed price"
