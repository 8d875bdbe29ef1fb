"""A sandwich attack, run for real on the fork with automine off, against the same trade done
two ways: a direct V2 router swap with a 1% slippage setting, and a keel intent.

The attacker sees the victim's transaction in the mempool, front-runs it with a higher gas
price on the same pools in the same direction, and back-runs it with a lower one. The
direct user still gets 99% of its quote, so the attacker takes up to 1% of it. keel's
settlement swaps with `amountOutMinimum` equal to the exact quoted output, so any adverse
move reverts the whole batch: the user keeps every token, the intent stays valid, and the
attacker is left paying pool fees on its round trip. The next round settles the intent
inside its signed bounds.
"""

from __future__ import annotations

from contracts.settlement import Settlement, make_batch
from routing.math.v2 import get_amount_out
from solver.strategies.milp import Milp
from solver.translate import outcome_met
from tests.adversarial.chain_support import (
    Mempool,
    Swap,
    approve,
    attacker,
    automine,
    balance,
    fund_weth,
    revert_of,
    swaps_in,
    v2_reserves,
    v3_quote,
)
from tests.integration.auction_support import (
    auction_for,
    balances_of,
    settle_solution,
    weights_intent,
)

VICTIM = 9  # the whale: 1,000 WETH and 100,000 USDC; its intent sells a few hundred WETH
SLIPPAGE_BPS = 100
BPS = 10_000


def _largest_safe_front_run(amount_in: int, min_out: int, r_in: int, r_out: int, cap: int) -> int:
    """The biggest front-run (same direction) that still lets the victim's swap meet `min_out`."""
    lo, hi = 0, cap
    while lo < hi:
        mid = (lo + hi + 1) // 2
        out = get_amount_out(mid, r_in, r_out)
        if get_amount_out(amount_in, r_in + mid, r_out - out) >= min_out:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _keel_trade(chain):
    signed = weights_intent(chain, VICTIM, {"USDC": 20, "WETH": 80})
    auction = auction_for(chain, [signed])
    solution = Milp().solve(auction, chain.solvers[0].address)
    assert len(solution.executions) == 1
    return signed, auction, solution


def _direct_swap_sandwiched(chain, w3, weth_in: int) -> tuple[int, int, int]:
    """The victim swaps `weth_in` WETH -> USDC on V2 with 1% slippage, sandwiched.

    Returns (quoted USDC out, USDC actually received, attacker's WETH profit)."""
    weth, usdc = chain.token("WETH"), chain.token("USDC")
    victim, bot = chain.users[VICTIM].address, attacker(chain).address
    router = chain.deployment.uniswap.v2_router
    for who in (victim, bot):
        approve(w3, who, weth, router)
        approve(w3, who, usdc, router)
    r_weth, r_usdc = v2_reserves(w3, chain, weth, usdc)
    quote = get_amount_out(weth_in, r_weth, r_usdc)
    min_out = quote * (BPS - SLIPPAGE_BPS) // BPS
    front = _largest_safe_front_run(weth_in, min_out, r_weth, r_usdc, cap=r_weth // 2)
    fund_weth(w3, chain, bot, front)
    front_out = get_amount_out(front, r_weth, r_usdc)
    bot_weth, victim_usdc = balance(w3, weth, bot), balance(w3, usdc, victim)

    automine(w3, False)
    pool = Mempool(w3)
    pool.send("front", bot, router, Swap("v2", weth, usdc, front).calldata(bot), tip_gwei=30)
    pool.send("victim", victim, router, Swap("v2", weth, usdc, weth_in, min_out).calldata(victim), tip_gwei=20)
    pool.send("back", bot, router, Swap("v2", usdc, weth, front_out).calldata(bot), tip_gwei=10)
    receipts = pool.mine()
    automine(w3, True)

    assert [receipts[k]["status"] for k in ("front", "victim", "back")] == [1, 1, 1]
    order = [receipts[k]["transactionIndex"] for k in ("front", "victim", "back")]
    assert order == sorted(order) and len({receipts[k]["blockNumber"] for k in receipts}) == 1
    received = balance(w3, usdc, victim) - victim_usdc
    return quote, received, balance(w3, weth, bot) - bot_weth


def _keel_settlement_sandwiched(chain, w3, auction, solution) -> tuple[dict, object, int, int]:
    """The attacker front-runs every pool hop of the settlement in its direction and back-runs it.

    Returns (settle receipt, its decoded revert, attacker's WETH change, attacker's USDC change)."""
    weth, usdc = chain.token("WETH"), chain.token("USDC")
    bot = attacker(chain).address
    hops = swaps_in(solution.interactions, chain)
    assert hops, "the settlement routes through pools: there is something to sandwich"
    fronts = [Swap(h.kind, h.token_in, h.token_out, h.amount_in, 0, h.fee_pips) for h in hops]
    need = sum(f.amount_in for f in fronts if f.token_in == weth)
    fund_weth(w3, chain, bot, need)
    for f in fronts:
        approve(w3, bot, f.token_in, f.router(chain))
        approve(w3, bot, f.token_out, f.router(chain))
    # each hop is its own pool, so each front-run's output is exact at today's state
    outs = []
    for f in fronts:
        if f.kind == "v2":
            outs.append(get_amount_out(f.amount_in, *v2_reserves(w3, chain, f.token_in, f.token_out)))
        else:
            outs.append(v3_quote(w3, chain, f))
    backs = [Swap(f.kind, f.token_out, f.token_in, out, 0, f.fee_pips) for f, out in zip(fronts, outs, strict=True)]
    before = (balance(w3, weth, bot), balance(w3, usdc, bot))
    batch = _batch(auction, solution)
    settlement = Settlement(w3, auction.settlement)
    gas = settlement.estimate_gas(chain.solvers[0].address, batch)

    automine(w3, False)
    pool = Mempool(w3)
    for n, f in enumerate(fronts):
        pool.send(f"front{n}", bot, f.router(chain), f.calldata(bot), tip_gwei=30)
    pool.send("settle", chain.solvers[0].address, auction.settlement, batch.calldata(), tip_gwei=20, gas=gas * 2)
    for n, b in enumerate(backs):
        pool.send(f"back{n}", bot, b.router(chain), b.calldata(bot), tip_gwei=10)
    receipts = pool.mine()
    automine(w3, True)

    indices = {k: r["transactionIndex"] for k, r in receipts.items()}
    assert max(v for k, v in indices.items() if k.startswith("front")) < indices["settle"]
    assert min(v for k, v in indices.items() if k.startswith("back")) > indices["settle"]
    assert all(r["status"] == 1 for k, r in receipts.items() if k != "settle")
    reason = revert_of(w3, receipts["settle"]["transactionHash"]) if receipts["settle"]["status"] == 0 else None
    return receipts["settle"], reason, balance(w3, weth, bot) - before[0], balance(w3, usdc, bot) - before[1]


def _batch(auction, solution):
    rows = []
    for e in solution.executions:
        bi = auction.intent(e.intent_id)
        rows.append((bi.intent.as_tuple(), int(bi.signed.scheme), bi.signed.signature, e.flows))
    return make_batch(solution.prices, rows, solution.interactions, sinks=solution.sinks)


def test_should_let_the_attacker_take_from_a_direct_swap_but_never_from_a_keel_intent(chain, w3) -> None:
    weth, usdc = chain.token("WETH"), chain.token("USDC")
    signed, auction, solution = _keel_trade(chain)
    flows = solution.executions[0].flows
    weth_in, usdc_out = -flows[weth], flows[usdc]
    assert weth_in > 100 * 10**18  # a trade big enough to be worth sandwiching
    owner = signed.intent.owner
    prices = auction.reference_prices()

    # --- the same trade as a plain V2 swap with 1% slippage, sandwiched
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]
    quote, received, bot_profit_weth = _direct_swap_sandwiched(chain, w3, weth_in)
    direct_loss_bps = (quote - received) * BPS / quote
    assert bot_profit_weth > 0, "the sandwich pays the attacker on a 1%-slippage swap"
    assert received >= quote * (BPS - SLIPPAGE_BPS) // BPS  # the user's own minimum held...
    assert direct_loss_bps > 50, direct_loss_bps  # ...and the attacker took most of the room it left
    assert w3.provider.make_request("evm_revert", [snapshot])["result"]

    # --- the same user's keel intent, sandwiched the same way on every pool the batch touches
    before = balances_of(chain, owner)
    receipt, reason, bot_weth, bot_usdc = _keel_settlement_sandwiched(chain, w3, auction, solution)
    assert receipt["status"] == 0, "a front-run must make the exact-minimum swaps, and so the batch, revert"
    assert reason is not None and reason.name == "InteractionFailed", reason
    assert balances_of(chain, owner) == before, "a reverted settlement moves no user funds"
    assert not Settlement(w3, auction.settlement).is_nonce_spent(owner, signed.intent.nonce)
    bot_value_change = (bot_weth * prices[weth] + bot_usdc * prices[usdc]) // 10**18  # USD x 1e18
    assert bot_value_change < 0, "the attacker's round trip only pays pool fees"
    keel_loss_bps = 0.0  # nothing left the user's wallet

    # --- the next round: the same intent, re-solved on the pools as the attacker left them, settles
    again = auction_for(chain, [signed], auction_id=2)
    retry = Milp().solve(again, chain.solvers[0].address)
    assert settle_solution(chain, again, retry)["status"] == 1
    after = balances_of(chain, owner)
    assert outcome_met(signed.intent, after, {}, retry.prices)
    retry_flows = retry.executions[0].flows
    # what the user got per WETH, against the unattacked quote of the first round
    first_rate = usdc_out / weth_in
    retry_rate = retry_flows[usdc] / -retry_flows[weth]
    retry_vs_quote_bps = (first_rate - retry_rate) * BPS / first_rate
    assert retry_vs_quote_bps < 5  # the attack left the pools where they were, less fees earned

    print(
        f"\nsandwich on {weth_in / 1e18:.1f} WETH -> USDC:"
        f"\n  direct V2 swap, 1% slippage: user lost {direct_loss_bps:.1f} bps of its quote; "
        f"attacker gained {bot_profit_weth / 1e18:.4f} WETH"
        f"\n  keel intent: user lost {keel_loss_bps:.1f} bps (settlement reverted: {reason}, balances untouched); "
        f"attacker lost ${-bot_value_change / 1e18:,.0f} in pool fees"
        f"\n  next round settled at {retry_vs_quote_bps:+.2f} bps vs the unattacked quote"
    )
