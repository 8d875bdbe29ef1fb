"""A hedger whose plan spends its whole numeraire: trimmed to what its holdings pay, not dropped."""

from __future__ import annotations

from intents.model import Intent
from routing.pools import Liquidity
from solver import joint
from solver.clearing import clear, fit_to_holdings
from solver.joint_wants import joint_want
from solver.routing_port import make_route_fn
from solver.translate import Want
from tests.unit.solver.test_clearing import PRICES, SETTLEMENT, USDC, WETH, liquidity
from tests.unit.solver.test_joint_mixture import _two, _with_hedger

HEDGER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"


def test_should_trim_a_hedgers_exact_buy_to_what_its_numeraire_pays_at_higher_prices() -> None:
    # planned at the reference: 5,000 USDC buys 1.6667 WETH; at WETH +0.6% it would need ~5,030 USDC
    want = Want("0xh", HEDGER, {WETH: 5_000 * 10**18 // 3000}, {USDC: 10_000})
    held = {USDC: 5_000 * 10**6, WETH: 0}
    higher = {USDC: PRICES[USDC], WETH: PRICES[WETH] * 1006 // 1000}
    flows = want.flows(higher, 1)
    assert -flows[USDC] > held[USDC]  # as planned, it overdraws
    fitted = fit_to_holdings(want, flows, held, higher, 1)
    assert 0 < -fitted[USDC] <= held[USDC]
    # trimmed to what 5,000 USDC pays at these prices, less the fee, less a few USDC base units of rounding
    affordable = held[USDC] * higher[USDC] * 9_999 // 10_000 // higher[WETH]
    assert affordable - 10**12 <= fitted[WETH] <= affordable < flows[WETH]
    # the contract's value conservation at the clearing prices, the fee inside maxFeeBps
    given, received = -fitted[USDC] * higher[USDC], fitted[WETH] * higher[WETH]
    assert received <= given and (given - received) * 10_000 <= 30 * given
    # flows that fit are left as they are
    assert fit_to_holdings(want, want.flows(PRICES, 1), {USDC: 6_000 * 10**6}, PRICES, 1) == want.flows(PRICES, 1)


def test_a_hedger_that_spends_its_whole_numeraire_still_settles_when_the_clearing_raises_its_price() -> None:
    """A review's case: 5,000 USDC and a 1e27 WETH cap; the settle program plans the whole 5,000
    at fixed prices, the price-adjustment pass then charges the pools' cost through WETH's price
    ("needs 5,027.9 USDC") and the hedger was dropped."""
    pools = Liquidity.from_json(liquidity())
    intents, balances = _with_hedger(5_000)
    hedger = intents["0xh"]
    intents["0xh"] = Intent(hedger.owner, hedger.tokens, hedger.min_price, hedger.max_price, hedger.kind,
                            min_balance=hedger.min_balance, max_balance=(hedger.max_balance[0], 10**27),
                            max_fee_bps=hedger.max_fee_bps, valid_to=hedger.valid_to, nonce=hedger.nonce)
    result = joint.solve(_two(intents, balances), pools, PRICES, joint.SETTLE)
    assert result.flows_usd["0xh"][USDC] < -4_999  # the plan spends all of it
    wants = {i: joint_want(i, it, result.flows_usd[i], balances[it.owner], PRICES) for i, it in intents.items()}
    cleared = clear(wants, intents, balances, PRICES, make_route_fn("milp", pools, PRICES, 0, SETTLEMENT, 2**32),
                    lambda _i: 0)
    assert cleared.prices[WETH] > PRICES[WETH]  # the pools' cost went into WETH's price
    assert "0xh" in cleared.flows and "0xh" not in cleared.dropped
    flows = cleared.flows["0xh"]
    assert -balances[hedger.owner][USDC] <= flows[USDC] < 0
    assert flows[WETH] >= 10**18  # inside its band (at least 1 WETH)
    # conservation exact: the settlement pays out no token it does not take in
    net = cleared.net()
    for t, q in net.items():
        assert q <= cleared.plan.obtained.get(t, 0) - cleared.plan.spent.get(t, 0)
