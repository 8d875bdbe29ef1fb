"""Batches the settlement tests settle: a coincidence of wants, a V2-routed rebalance, a
V3-routed hedge, and all three at one uniform price. Each leg is mutable before it is
signed, so refusal tests can change exactly one thing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from contracts.interaction import Interaction
from contracts.settlement import SCHEME_EIP712, Batch, make_batch
from intents.model import Intent
from tests.integration.settlement.helpers import (
    E18,
    FAR,
    UNBOUNDED,
    Env,
    balances_intent,
    calldata,
    cost,
    proceeds,
    quoter,
    swap_router,
    v2_router,
    weights_intent,
)


@dataclass
class Leg:
    """One user's part of a batch: the intent, who signs it, and its flows by token."""

    intent: Intent
    key: str
    flows: dict[str, int]
    scheme: int = SCHEME_EIP712
    signature: bytes | None = None  # set to sign something else than `intent`

    def row(self, env: Env) -> Any:
        return env.row(self.intent, self.key, self.flows, self.scheme, self.signature)


@dataclass
class Scenario:
    prices: dict[str, int]
    legs: list[Leg]
    interactions: list[Interaction] = field(default_factory=list)

    def batch(self, env: Env) -> Batch:
        return make_batch(self.prices, [leg.row(env) for leg in self.legs], self.interactions)


def _after(env: Env, owner: str, tokens: list[str], flows: dict[str, int]) -> dict[str, int]:
    return {t: env.balance(owner, t) + flows.get(t, 0) for t in tokens}


def rebalance_leg(env: Env, user: int, prices: dict[str, int], sell: str, amount: int, buy: str,
                  nonce: int = 1, receive: int | None = None) -> Leg:
    """users[user] rebalances [USDC, WETH, WBTC] by selling `amount` of `sell` for `buy` at `prices`."""
    acct = env.world.users[user]
    tokens = [env.addr("USDC"), env.addr("WETH"), env.addr("WBTC")]
    got = proceeds(amount, prices[sell], prices[buy]) if receive is None else receive
    flows = {sell: -amount, buy: got}
    intent = weights_intent(env, acct.address, tokens, _after(env, acct.address, tokens, flows), prices, nonce)
    return Leg(intent, acct.private_key, flows)


def cow_pair(env: Env, weth: int = 10 * E18, prices: dict[str, int] | None = None, users: tuple[int, int] = (0, 1),
             nonces: tuple[int, int] = (1, 1)) -> Scenario:
    """users[0] sells WETH for USDC, users[1] buys it with USDC: no DEX call at all."""
    prices = prices or env.ref_prices()
    usdc, weth_addr = env.addr("USDC"), env.addr("WETH")
    seller = rebalance_leg(env, users[0], prices, weth_addr, weth, usdc, nonces[0])
    pay = cost(weth, prices[weth_addr], prices[usdc])
    buyer = rebalance_leg(env, users[1], prices, usdc, pay, weth_addr, nonces[1], receive=weth)
    return Scenario(prices, [seller, buyer])


def v2_quote(env: Env, amount_in: int, path: list[str]) -> int:
    return int(v2_router(env).functions.getAmountsOut(amount_in, path).call()[-1])


def v3_quote(env: Env, token_in: str, token_out: str, amount_in: int, fee: int = 500) -> int:
    return int(quoter(env).functions.quoteExactInputSingle((token_in, token_out, amount_in, fee, 0)).call()[0])


def v2_interactions(env: Env, token_in: str, token_out: str, amount_in: int, min_out: int) -> list[Interaction]:
    """One V2 router swap; the settlement's standing allowance to the router pays for it."""
    router = v2_router(env)
    swap = calldata(router, "swapExactTokensForTokens", amount_in, min_out, [token_in, token_out],
                    env.settlement.address, FAR)
    return [Interaction(router.address, 0, swap)]


def v3_interactions(env: Env, token_in: str, token_out: str, amount_in: int, min_out: int,
                    fee: int = 500) -> list[Interaction]:
    """One V3 SwapRouter swap; the settlement's standing allowance to the router pays for it."""
    router = swap_router(env)
    params = (token_in, token_out, fee, env.settlement.address, FAR, amount_in, min_out, 0)
    return [Interaction(router.address, 0, calldata(router, "exactInputSingle", params))]


def price_from_fill(env: Env, amount_in: int, amount_out: int) -> dict[str, int]:
    """Reference prices with WETH repriced so that selling `amount_in` WETH is worth exactly
    what the DEX returned (`amount_out` USDC), rounded down so the DEX covers every payout."""
    prices = env.ref_prices()
    prices[env.addr("WETH")] = amount_out * prices[env.addr("USDC")] // amount_in
    return prices


def v2_rebalance(env: Env, user: int = 2, weth: int = 5 * E18, nonce: int = 1) -> Scenario:
    """users[user] sells WETH for USDC through the real Uniswap V2 router (a WEIGHTS intent)."""
    usdc, weth_addr = env.addr("USDC"), env.addr("WETH")
    out = v2_quote(env, weth, [weth_addr, usdc])
    prices = price_from_fill(env, weth, out)
    leg = rebalance_leg(env, user, prices, weth_addr, weth, usdc, nonce)
    return Scenario(prices, [leg], v2_interactions(env, weth_addr, usdc, weth, out))


def hedge_leg(env: Env, user: int, prices: dict[str, int], weth: int, nonce: int = 1) -> Leg:
    """users[user] cuts its WETH delta by `weth`: a BALANCES intent on [USDC, WETH]."""
    acct = env.world.users[user]
    usdc, weth_addr = env.addr("USDC"), env.addr("WETH")
    got = proceeds(weth, prices[weth_addr], prices[usdc])
    held_weth, held_usdc = env.balance(acct.address, weth_addr), env.balance(acct.address, usdc)
    target = held_weth - weth
    intent = balances_intent(
        acct.address, [usdc, weth_addr], prices,
        min_balance=[held_usdc + got * 99 // 100, target - E18 // 10],
        max_balance=[UNBOUNDED, target + E18 // 10], nonce=nonce,
    )
    return Leg(intent, acct.private_key, {weth_addr: -weth, usdc: got})


def v3_hedge(env: Env, user: int = 4, weth: int = 2 * E18, nonce: int = 1) -> Scenario:
    """users[user] hedges by selling WETH through the real USDC/WETH 0.05% V3 pool."""
    usdc, weth_addr = env.addr("USDC"), env.addr("WETH")
    out = v3_quote(env, weth_addr, usdc, weth)
    prices = price_from_fill(env, weth, out)
    return Scenario(prices, [hedge_leg(env, user, prices, weth, nonce)], v3_interactions(env, weth_addr, usdc, weth, out))


def mixed(env: Env) -> Scenario:
    """A CoW pair, a V2-routed rebalance and a V3-routed hedge at one WETH/USDC price: the
    worse of the two DEX fills, so both DEX legs pay out in full and the better one's
    surplus goes to the fee recipient."""
    usdc, weth_addr = env.addr("USDC"), env.addr("WETH")
    v2_in, v3_in = 5 * E18, 2 * E18
    v2_out = v2_quote(env, v2_in, [weth_addr, usdc])
    v3_out = v3_quote(env, weth_addr, usdc, v3_in)
    p2, p3 = price_from_fill(env, v2_in, v2_out), price_from_fill(env, v3_in, v3_out)
    prices = p2 if p2[weth_addr] <= p3[weth_addr] else p3
    pair = cow_pair(env, prices=prices)
    rebalance = rebalance_leg(env, 2, prices, weth_addr, v2_in, usdc)
    hedge = hedge_leg(env, 4, prices, v3_in)
    interactions = v2_interactions(env, weth_addr, usdc, v2_in, v2_out) + v3_interactions(env, weth_addr, usdc, v3_in, v3_out)
    return Scenario(prices, [*pair.legs, rebalance, hedge], interactions)
