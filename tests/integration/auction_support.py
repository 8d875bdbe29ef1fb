"""Build real auctions on the fork for solver tests: signed intents, balances, feeds, pools."""

from __future__ import annotations

import time
from typing import Any

from contracts import world_spec
from contracts.feeds import read_round
from contracts.world import World
from intents import build as ib
from intents.chain import token_states
from intents.model import Intent, SignedIntent
from intents.signing import sign_intent
from keel.units import NATIVE_DECIMALS, usd_price_from_feed
from solver.domain import Auction, BatchIntent, Token


def weights_intent(world: World, user: int, weights: dict[str, int], tolerance_bps: int = 50,
                   slippage_bps: int = 100, max_fee_bps: int = 30, nonce: int = 1) -> SignedIntent:
    w3 = world.web3()
    owner = world.users[user]
    symbols = ib.order_tokens(list(weights), None)
    states = token_states(w3, world.deployment, owner.address, symbols)
    intent, _ = ib.weights_intent(owner.address, states, {s: weights[s] * 100 for s in symbols}, tolerance_bps,
                                  slippage_bps, max_fee_bps, int(time.time()) + 3600, nonce)
    return sign_intent(intent, owner.private_key, world.chain_id, world.settlement)


def hedge_intent(world: World, user: int, book_delta: float, target: float = 0.0, band: float = 2.0,
                 underlying: str = "WETH", slippage_bps: int = 100, max_fee_bps: int = 30, nonce: int = 1) -> SignedIntent:
    w3 = world.web3()
    owner = world.users[user]
    num, und = token_states(w3, world.deployment, owner.address, ["USDC", underlying])
    hedge = ib.hedge_band(book_delta, und.balance, und.decimals, target, band)
    intent = ib.hedge_intent(owner.address, num, und, hedge, slippage_bps, max_fee_bps, int(time.time()) + 3600, nonce)
    return sign_intent(intent, owner.private_key, world.chain_id, world.settlement)


def auction_for(world: World, signed: list[SignedIntent], auction_id: int = 1, deadline_s: float = 10.0) -> Auction:
    from auction.snapshot import read_pool_targets
    from routing.chain import snapshot

    w3 = world.web3()
    block = int(w3.eth.block_number)
    symbols = list(world_spec.DECIMALS)
    tokens: dict[str, Token] = {}
    for state in token_states(w3, world.deployment, world.users[0].address, symbols):
        tokens[state.address] = Token(state.address, state.symbol, state.decimals,
                                      usd_price_from_feed(state.usd_price_8, state.decimals))
    balances: dict[str, dict[str, int]] = {}
    erc20 = [{"name": "balanceOf", "type": "function", "stateMutability": "view",
              "inputs": [{"name": "a", "type": "address"}], "outputs": [{"name": "", "type": "uint256"}]}]
    for s in signed:
        owner = s.intent.owner
        balances[owner] = {t: w3.eth.contract(address=t, abi=erc20).functions.balanceOf(owner).call(block_identifier=block)
                           for t in tokens}
    liquidity = snapshot(w3, world.deployment, block)
    native = read_round(w3, world.deployment.native_feed.address, block).usd_price(NATIVE_DECIMALS)
    settlement = world.settlement
    intents = tuple(BatchIntent(s.intent.intent_id(world.chain_id, settlement), s) for s in signed)
    return Auction(auction_id, world.chain_id, settlement, block, int((time.time() + deadline_s) * 1000), tokens,
                   intents, balances, liquidity, int(w3.eth.gas_price), native,
                   pool_targets=read_pool_targets(w3, settlement, liquidity, block))


def settle_solution(world: World, auction: Auction, solution: Any) -> Any:
    """Send the solution's settle() from an allow-listed solver; return the receipt."""
    from contracts.settlement import Settlement, make_batch

    rows = []
    for e in solution.executions:
        bi = auction.intent(e.intent_id)
        rows.append((bi.intent.as_tuple(), int(bi.signed.scheme), bi.signed.signature, e.flows))
    batch = make_batch(solution.prices, rows, solution.interactions, sinks=solution.sinks)
    settlement = Settlement(world.web3(), auction.settlement)
    return settlement.settle(world.solvers[0].address, batch)


def balances_of(world: World, owner: str) -> dict[str, int]:
    w3 = world.web3()
    erc20 = [{"name": "balanceOf", "type": "function", "stateMutability": "view",
              "inputs": [{"name": "a", "type": "address"}], "outputs": [{"name": "", "type": "uint256"}]}]
    return {world.token(s): w3.eth.contract(address=world.token(s), abi=erc20).functions.balanceOf(owner).call()
            for s in world_spec.DECIMALS}


def intent_of(signed: SignedIntent) -> Intent:
    return signed.intent
