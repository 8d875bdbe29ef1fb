"""Shared pieces of the settlement tests: a handle on the deployed contracts, reference
prices, intent builders, signing, balance snapshots, and the refusal assertion.

Clearing prices are `keel.units.UsdPrice`s, `usd_per_whole_token * 1e36 / 10**decimals`, as
solvers send them: a base unit of every world token has an integer price, and only ratios
matter on chain.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from eth_utils import to_checksum_address

from contracts.artifacts import keel, npm
from contracts.revert import DecodedRevert, SettlementReverted
from contracts.settlement import SCHEME_EIP712, Batch, Settlement
from contracts.world import World
from contracts.world_spec import DECIMALS, USD_PRICE
from intents.model import Intent, IntentKind
from intents.signing import sign_digest
from keel.units import USD_PRICE_SCALE

FAR = 2**32 - 1
UNBOUNDED = 2**256 - 1
E18 = 10**18

Row = tuple[tuple[Any, ...], int, bytes, Mapping[str, int]]


@dataclass
class Env:
    """The world on the fork plus keel's settlement, seen from a solver."""

    world: World
    w3: Any
    settlement: Settlement
    solver: str

    @property
    def chain_id(self) -> int:
        return self.world.chain_id

    def addr(self, symbol: str) -> str:
        """The world's token `symbol`."""
        return self.world.token(symbol)

    def erc20(self, token: str) -> Any:
        return self.w3.eth.contract(address=to_checksum_address(token), abi=keel("WorldToken").abi)

    def balance(self, owner: str, token: str) -> int:
        return int(self.erc20(token).functions.balanceOf(to_checksum_address(owner)).call())

    def snapshot(self, owners: Iterable[str], tokens: Iterable[str]) -> dict[tuple[str, str], int]:
        tokens = list(tokens)
        return {(o, t): self.balance(o, t) for o in owners for t in tokens}

    def ref_prices(self, symbols: Iterable[str] = tuple(DECIMALS)) -> dict[str, int]:
        """Reference clearing prices (token address → price of one base unit)."""
        return {self.addr(s): int(USD_PRICE[s]) * USD_PRICE_SCALE // 10 ** DECIMALS[s] for s in symbols}

    def sign(self, intent: Intent, key: str) -> bytes:
        return sign_digest(intent.digest(self.chain_id, self.settlement.address), key)

    def row(self, intent: Intent, key: str, flows: Mapping[str, int], scheme: int = SCHEME_EIP712,
            signature: bytes | None = None) -> Row:
        """One execution row for `make_batch`: flows keyed by token address."""
        sig = self.sign(intent, key) if signature is None else signature
        return (intent.as_tuple(), scheme, sig, dict(flows))

    def deploy(self, name: str, *args: Any) -> Any:
        """A fresh copy of keel's contract `name` (test contracts included), deployed by the world's deployer."""
        art = keel(name)
        factory = self.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
        tx = factory.constructor(*args).transact({"from": self.world.deployer.address})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx)
        assert receipt["status"] == 1, f"deploying {name} reverted"
        return self.w3.eth.contract(address=receipt["contractAddress"], abi=art.abi)

    def fund(self, holder: str, token: str, to: str, amount: int) -> None:
        """Move tokens between unlocked accounts (test set-up only)."""
        tx = self.erc20(token).functions.transfer(to_checksum_address(to), amount).transact({"from": holder})
        assert self.w3.eth.wait_for_transaction_receipt(tx)["status"] == 1


def relative(prices: Mapping[str, int], token: str, numeraire: str) -> int:
    """What the contract compares with minPrice/maxPrice: p_token * 1e18 // p_numeraire."""
    return prices[token] * E18 // prices[numeraire]


def price_bounds(prices: Mapping[str, int], tokens: list[str], slippage_bps: int = 200) -> tuple[list[int], list[int]]:
    """minPrice/maxPrice around `prices` ± slippage (the CLI sets them from the oracle)."""
    lo, hi = [E18], [E18]
    for token in tokens[1:]:
        rel = relative(prices, token, tokens[0])
        lo.append(rel * (10_000 - slippage_bps) // 10_000)
        hi.append(-(-rel * (10_000 + slippage_bps) // 10_000))
    return lo, hi


def weights_of(balances: list[int], prices: list[int]) -> list[int]:
    """Weights in bps of each balance at `prices`; the rounding remainder goes to the largest."""
    values = [b * p for b, p in zip(balances, prices, strict=True)]
    total = sum(values)
    bps = [v * 10_000 // total for v in values]
    bps[values.index(max(values))] += 10_000 - sum(bps)
    return bps


def weights_intent(env: Env, owner: str, tokens: list[str], after: Mapping[str, int], prices: Mapping[str, int],
                   nonce: int, tolerance_bps: int = 50, max_fee_bps: int = 30, valid_to: int = FAR,
                   slippage_bps: int = 200) -> Intent:
    """A WEIGHTS intent whose targets are the weights of `after` (expected balances) at `prices`."""
    lo, hi = price_bounds(prices, tokens, slippage_bps)
    targets = weights_of([after[t] for t in tokens], [prices[t] for t in tokens])
    return Intent(owner=owner, tokens=tuple(tokens), min_price=tuple(lo), max_price=tuple(hi),
                  kind=IntentKind.WEIGHTS, target_weight_bps=tuple(targets), tolerance_bps=tolerance_bps,
                  max_fee_bps=max_fee_bps, valid_to=valid_to, nonce=nonce)


def balances_intent(owner: str, tokens: list[str], prices: Mapping[str, int], min_balance: list[int],
                    max_balance: list[int], nonce: int, max_fee_bps: int = 30, valid_to: int = FAR,
                    slippage_bps: int = 200) -> Intent:
    """A BALANCES (hedge) intent: post-trade balance bounds per token."""
    lo, hi = price_bounds(prices, tokens, slippage_bps)
    return Intent(owner=owner, tokens=tuple(tokens), min_price=tuple(lo), max_price=tuple(hi),
                  kind=IntentKind.BALANCES, min_balance=tuple(min_balance), max_balance=tuple(max_balance),
                  max_fee_bps=max_fee_bps, valid_to=valid_to, nonce=nonce)


def proceeds(amount_in: int, price_in: int, price_out: int) -> int:
    """What a seller of `amount_in` receives at the clearing prices, rounded down (never more
    value than given, so `received <= given` holds exactly)."""
    return amount_in * price_in // price_out


def cost(amount_out: int, price_out: int, price_in: int) -> int:
    """What a buyer of `amount_out` pays at the clearing prices, rounded up."""
    return -(-amount_out * price_out // price_in)


def owners_of(batch: Batch) -> list[str]:
    return sorted({e.owner for e in batch.executions})


def assert_refused(env: Env, batch: Batch, error: str, sender: str | None = None,
                   extra_owners: Iterable[str] = ()) -> DecodedRevert:
    """The batch reverts with `error` (by eth_call), and a mined attempt (status 0) moves no
    balance of any owner or of the settlement and spends no nonce."""
    sender = sender or env.solver
    owners = [*owners_of(batch), env.settlement.address, *extra_owners]
    before = env.snapshot(owners, batch.tokens)
    nonces = [(e.owner, e.intent[-1], env.settlement.is_nonce_spent(e.owner, e.intent[-1])) for e in batch.executions]
    with pytest.raises(SettlementReverted) as info:
        env.settlement.call(sender, batch)
    assert info.value.name == error, str(info.value)
    receipt = env.settlement.send(sender, batch, gas=5_000_000)
    assert receipt["status"] == 0
    assert env.snapshot(owners, batch.tokens) == before
    assert [(o, n, env.settlement.is_nonce_spent(o, n)) for o, n, _ in nonces] == nonces
    return info.value.revert


def v2_router(env: Env) -> Any:
    return env.w3.eth.contract(address=env.world.deployment.uniswap.v2_router, abi=npm("UniswapV2Router02").abi)


def swap_router(env: Env) -> Any:
    return env.w3.eth.contract(address=env.world.deployment.uniswap.swap_router, abi=npm("SwapRouter").abi)


def quoter(env: Env) -> Any:
    return env.w3.eth.contract(address=env.world.deployment.uniswap.quoter, abi=npm("QuoterV2").abi)


def calldata(contract: Any, fn: str, *args: Any) -> bytes:
    return bytes.fromhex(contract.encode_abi(fn, args=list(args))[2:])
