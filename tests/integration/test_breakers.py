"""Circuit breakers on the fork: a stale feed, a manipulated pool, thin liquidity, a
volatility spike and the notional cap each trip the keeper; nothing is signed while
tripped, and the keeper resumes by itself once conditions are back inside limits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from commands.backtest import cost_model
from contracts.artifacts import keel
from contracts.world import World
from risk import book as book_mod
from risk import breakers, keeper
from risk.backtest import run
from risk.backtest.engine import CostModel
from risk.policies.hedge import Threshold
from routing import chain as routing_chain
from routing import costs as costs_mod
from tests.integration.test_watch import HOUR, ROOT, Script, _spec

LIMITS = breakers.Limits(max_oracle_age_s=3600, max_pool_deviation_bps=200, max_impact_bps=100, halt_vol=3.0,
                         notional_cap=5_000_000, notional_window_s=86_400, resume_fraction=0.8)


def _keeper(chain: World, limits: breakers.Limits = LIMITS, costs: Any = None, half_life_s: float = 6 * HOUR) -> tuple[keeper.Keeper, keeper.ChainReader, Script]:
    script = Script(chain)
    reader = keeper.ChainReader(chain.web3(), chain.deployment, chain.users[0].address, ("USDC", "WETH"), chain.deployment.v3_pool("USDC", "WETH", 500))
    book = run.option_book(book_mod.load(ROOT / "samples" / "book.csv"), "WETH", script.t0)
    sink = keeper.IntentSink(reader, 10**7, 100, 30)
    costs = costs or cost_model(_spec(Path()), "WETH", "USDC", 3000.0, None)
    return keeper.Keeper(Threshold("threshold", band=0.6), costs, limits, sink, book=book, valid_s=10**7,
                         vol_half_life_s=half_life_s), reader, script


def _tripped(step: keeper.Step) -> list[str]:
    return [r.split(":")[0] for r in step.tripped]


def test_should_not_sign_on_a_stale_feed_and_resume_when_it_updates(chain: World) -> None:
    kp, reader, script = _keeper(chain)
    script.move(0, 3000.0)
    feed = script.w3.eth.contract(address=chain.deployment.feed("WETH").address, abi=keel("PriceFeed").abi)
    t = script.t0 + 2 * HOUR
    # the WETH feed last answered two hours before this poll: older than its one-hour heartbeat
    script._at(t - 1, feed.functions.setAnswerAt(300_000_000_000, t - 2 * HOUR))
    script.w3.provider.make_request("evm_setNextBlockTimestamp", [t])
    script.w3.provider.make_request("evm_mine", [])
    step = kp.step(reader.read())
    assert not step.fired and _tripped(step) == ["stale-oracle"] and kp.sink.built == []
    script.move(3, 3000.0)  # the feed answers again
    assert kp.step(reader.read()).fired and len(kp.sink.built) == 1


def test_should_not_sign_while_the_pool_is_pushed_away_from_the_oracle(chain: World) -> None:
    kp, reader, script = _keeper(chain)
    script.move(0, 3000.0)
    # manipulate: swap the pool 5% up while the feed stays at 3000
    t = script.t0 + HOUR
    target = int((1e12 / 3150.0) ** 0.5 * 2**96)
    params = (chain.token("USDC"), chain.token("WETH"), 500, script.me, 2**32 - 1, 10**14, 0, target)
    script._at(t - 4, script.router.functions.exactInputSingle(params))
    for dt, s in ((3, "WBTC"), (2, "USDC"), (1, "WETH")):
        f = script.feeds[s]
        script._at(t - dt, f.functions.setAnswer(f.functions.latestAnswer().call()))
    script.w3.provider.make_request("evm_setNextBlockTimestamp", [t])
    script.w3.provider.make_request("evm_mine", [])
    obs = reader.read()
    assert abs(obs.pool_price / obs.prices[1] - 1.05) < 1e-3
    step = kp.step(obs)
    assert not step.fired and _tripped(step) == ["pool-deviation"] and kp.sink.built == []
    assert obs.pool_twap is not None and abs(obs.pool_twap / obs.prices[1] - 1) < 1e-3  # observe(): 4 s of 1,800
    assert "a recent push of the spot" in step.reason  # the TWAP names what tripped it
    script.move(2, 3000.0)  # arbitraged back
    assert kp.step(reader.read()).fired


def test_should_not_sign_a_trade_whose_impact_on_thin_liquidity_is_too_big(chain: World) -> None:
    liq = routing_chain.snapshot(chain.web3(), chain.deployment)
    thin = costs_mod.withdraw(liq, 0.995)
    curve = costs_mod.build_curve(thin, chain.token("WETH"), chain.token("USDC"), 3000.0)
    kp, reader, script = _keeper(chain, costs=CostModel(curve.impact, curve.gas, curve.rate))
    script.move(0, 3000.0)
    step = kp.step(reader.read())
    assert not step.fired and _tripped(step) == ["price-impact"] and kp.sink.built == []
    # the same trade through the full pools passes
    deep = costs_mod.build_curve(liq, chain.token("WETH"), chain.token("USDC"), 3000.0)
    q = np.array([-60.0])
    assert deep.impact(q, np.array([3000.0]))[0] / (60 * 3000) * 1e4 < 100 < curve.impact(q, np.array([3000.0]))[0] / (60 * 3000) * 1e4


def test_should_halt_on_a_volatility_spike_and_resume_when_it_decays(chain: World) -> None:
    kp, reader, script = _keeper(chain, half_life_s=HOUR)
    script.move(0, 3000.0)
    assert kp.step(reader.read()).fired  # first hedge, calm
    script.move(1, 3450.0)  # +15% in an hour
    spiked = kp.step(reader.read())
    assert not spiked.fired and _tripped(spiked) == ["volatility"] and len(kp.sink.built) == 1
    resumed_at = None
    for k in range(2, 12):
        script.move(k, 3450.0)
        step = kp.step(reader.read())
        if step.fired:
            resumed_at = k
            break
        assert _tripped(step) == ["volatility"]
    assert resumed_at is not None and resumed_at >= 4  # held for a while (hysteresis), then resumed alone


def test_should_not_sign_past_the_notional_cap(chain: World) -> None:
    capped = breakers.Limits(**{**LIMITS.__dict__, "notional_cap": 100_000.0})
    kp, reader, script = _keeper(chain, limits=capped)
    script.move(0, 3000.0)
    step = kp.step(reader.read())  # wants to sell ~60 WETH, ~$180k
    assert not step.fired and _tripped(step) == ["notional-cap"] and kp.sink.built == []
