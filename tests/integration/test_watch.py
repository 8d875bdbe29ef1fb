"""`keel watch` on the fork: along a scripted price path (real swaps move the Uniswap V3
pool to each price, the feed publishes it, the clock advances an hour), the keeper fires
exactly the trades the backtester decides on the same path — the impulse band and its
gas-timing variant included, with the chain's gas price as the keeper read it replayed
beside the prices — and a weights keeper fires exactly when a weight crosses its band and
not before."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from commands.backtest import cost_model
from contracts.artifacts import keel, npm
from contracts.world import World
from intents.model import IntentKind
from risk import book as book_mod
from risk import breakers, keeper
from risk.backtest import run
from risk.policies import config
from tests.helpers import run_cli

ROOT = Path(__file__).resolve().parents[2]
HOUR = 3600
WETH_PATH = (3000, 3090, 3180, 3060, 2950, 2860, 2990, 3100, 3230, 3150, 3050, 2980)

POLICY = """
[book]
file = "{book}"
underlying = "WETH"
numeraire = "USDC"
[keeper]
valid_seconds = 2592000
[costs]
model = "{costs}"
flat_bps = 5
[breakers]
max_pool_deviation_bps = 300
[backtest]
vol_half_life_hours = 6
[[policies]]
name = "threshold"
kind = "threshold"
band = 0.6
[[policies]]
name = "ww"
kind = "whalley-wilmott"
risk_aversion = 0.00001
[[policies]]
name = "defi"
kind = "defi"
band = 1.0
interval_hours = 4
[[policies]]
name = "vol-adaptive"
kind = "vol-adaptive"
band = 0.5
[[policies]]
name = "impulse"
kind = "impulse"
risk_aversion = 0.01
[[policies]]
name = "gas-timing"
kind = "gas-timing"
risk_aversion = 0.01
gas_half_life_hours = 2
"""


class Script:
    """Moves the world along a price path: swap the V3 pool to the price, publish the feed,
    stamp blocks at exact times."""

    def __init__(self, chain: World) -> None:
        self.w3 = chain.web3()
        d = chain.deployment
        self.usdc, self.weth = chain.token("USDC"), chain.token("WETH")
        self.me = chain.deployer.address
        self.router = self.w3.eth.contract(address=d.uniswap.swap_router, abi=npm("SwapRouter").abi)
        self.pool = self.w3.eth.contract(address=d.v3_pool("USDC", "WETH", 500), abi=npm("UniswapV3Pool").abi)
        self.feeds = {s: self.w3.eth.contract(address=d.feed(s).address, abi=keel("PriceFeed").abi) for s in ("WETH", "WBTC", "USDC")}
        erc20 = npm("WETH9").abi
        for s in ("USDC", "WETH"):
            token = self.w3.eth.contract(address=chain.token(s), abi=erc20)
            self._tx(token.functions.approve(self.router.address, 2**256 - 1))
        self.t0 = int(self.w3.eth.get_block("latest")["timestamp"]) // HOUR * HOUR + 2 * HOUR

    def _tx(self, fn: Any) -> None:
        receipt = self.w3.eth.wait_for_transaction_receipt(fn.transact({"from": self.me}))
        assert receipt["status"] == 1

    def _at(self, t: int, fn: Any) -> None:
        self.w3.provider.make_request("evm_setNextBlockTimestamp", [t])
        self._tx(fn)

    def pool_price(self) -> float:
        sqrt_x96 = self.pool.functions.slot0().call()[0]
        return 1e12 / (sqrt_x96 / 2**96) ** 2

    def move(self, k: int, weth_usd: float) -> int:
        t = self.t0 + k * HOUR
        target = int(math.sqrt(1e12 / weth_usd) * 2**96)
        current = self.pool.functions.slot0().call()[0]
        if target != current:
            up = target < current  # WETH dearer: sell USDC (token0) into the pool
            token_in, token_out = (self.usdc, self.weth) if up else (self.weth, self.usdc)
            amount = 10**14 if up else 10**23  # more than the move needs; the price limit stops it
            params = (token_in, token_out, 500, self.me, 2**32 - 1, amount, 0, target)
            self._at(t - 4, self.router.functions.exactInputSingle(params))
        for dt, s in ((3, "WBTC"), (2, "USDC")):  # the other feeds keep their heartbeat
            self._at(t - dt, self.feeds[s].functions.setAnswer(self.feeds[s].functions.latestAnswer().call()))
        self._at(t - 1, self.feeds["WETH"].functions.setAnswer(round(weth_usd * 1e8)))
        self.w3.provider.make_request("evm_setNextBlockTimestamp", [t])
        self.w3.provider.make_request("evm_mine", [])
        return t


def _spec(tmp_path: Path, costs: str = "flat") -> Any:
    return config.parse(POLICY.format(book=ROOT / "samples" / "book.csv", costs=costs))


def _limits(spec: Any) -> breakers.Limits:
    b = spec.breakers
    return breakers.Limits(b.max_oracle_age_s, b.max_pool_deviation_bps, b.max_impact_bps, b.halt_vol,
                           b.notional_cap, b.notional_window_hours * 3600, b.resume_fraction)


def test_should_fire_exactly_the_trades_the_backtest_decides_on_the_same_path(
    chain: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = Script(chain)
    spec = _spec(tmp_path)
    owner = chain.users[0].address
    reader = keeper.ChainReader(chain.web3(), chain.deployment, owner, ("USDC", "WETH"), chain.deployment.v3_pool("USDC", "WETH", 500))
    book = book_mod.load(ROOT / "samples" / "book.csv")
    costs = cost_model(spec, "WETH", "USDC", 3000.0, None)
    keepers = []
    end = script.t0 + (len(WETH_PATH) - 1) * HOUR  # the program ends where the replayed path does
    for p in spec.policies:
        sink = keeper.IntentSink(reader, spec.keeper.valid_seconds, 100, 30)
        keepers.append(keeper.Keeper(config.build(p, spec.gas), costs, _limits(spec), sink,
                                     valid_s=spec.keeper.valid_seconds, book=run.option_book(book, "WETH", script.t0),
                                     vol_half_life_s=6 * HOUR, end_s=end))
    rows = ["timestamp,WETH,gas_gwei"]
    holding0 = None
    for k, price in enumerate(WETH_PATH):
        t = script.move(k, price)
        obs = reader.read()
        assert obs.now_s == t and obs.prices[1] == pytest.approx(price)
        assert abs(script.pool_price() / price - 1) < 1e-4  # the swap moved the pool to the price
        holding0 = obs.holdings[1] if holding0 is None else holding0
        assert obs.gas_price_gwei is not None  # the keeper reads the chain's gas price
        for kp in keepers:
            kp.step(obs)
        rows.append(f"{t},{obs.prices[1]!r},{obs.gas_price_gwei!r}")
    csv = tmp_path / "path.csv"
    csv.write_text("\n".join(rows) + "\n")
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY.format(book=ROOT / "samples" / "book.csv", costs="flat"))
    res = run_cli(capsys, "backtest", "--policy", str(policy), "--model", f"csv:{csv}", "--hold", repr(holding0),
                  "--trades", "--json")
    assert res.code == 0, res.err
    fired_somewhere_later = False
    for kp, r in zip(keepers, json.loads(res.out), strict=True):
        assert r["policy"] == kp.policy.name
        # the backtest's last row is its horizon (marked, not decided on): compare the rest
        live = [(i, s.position[0]) for i, s in enumerate(kp.log[:-1]) if s.fired]
        sim = [(i, pos) for i, pos in r["trades"]]
        assert [i for i, _ in live] == [i for i, _ in sim], kp.policy.name
        assert np.allclose([p for _, p in live], [p for _, p in sim], rtol=1e-9, atol=1e-9), kp.policy.name
        assert not any(s.tripped for s in kp.log)
        fired_somewhere_later |= any(i > 0 for i, _ in live)
        # every fired step built a BALANCES intent whose bounds hold the chosen hedge
        fired = [s for s in kp.log if s.fired]
        for step, intent in zip(fired, kp.sink.built, strict=True):
            assert intent.kind == IntentKind.BALANCES
            assert intent.min_balance[1] <= step.position[0] * 1e18 <= intent.max_balance[1]
        assert len(kp.sink.cancelled) == len(fired) - 1  # each fresh intent cancels the stale one
    assert fired_somewhere_later  # the path is not trivial: policies fire after the first hour
    by_name = {kp.policy.name: kp for kp in keepers}
    for name in ("impulse", "gas-timing"):  # the new bands re-hedge along the path, not only at the start
        assert sum(s.fired for s in by_name[name].log) >= 2, name


def test_should_fire_a_weights_policy_exactly_when_a_weight_crosses_its_band(chain: World, tmp_path: Path) -> None:
    script = Script(chain)
    owner = chain.users[0].address
    symbols = ("USDC", "WETH", "WBTC")
    reader = keeper.ChainReader(chain.web3(), chain.deployment, owner, symbols, chain.deployment.v3_pool("USDC", "WETH", 500))
    start = reader.read()
    value = np.array(start.holdings) * np.array(start.prices)
    target_pct = np.round(value / value.sum() * 100, 1)
    target_pct[-1] = 100 - target_pct[:-1].sum()
    spec = config.parse(
        f"[portfolio]\ntokens = {list(symbols)!r}\ntarget = {target_pct.tolist()!r}\n"
        "[costs]\nmodel = 'flat'\nflat_bps = 5\n"
        "[[policies]]\nname = 'drift'\nkind = 'threshold'\nband = 0.05\nto = 0.005\n"
    )
    bps = [round(x * 100) for x in target_pct]
    bps[-1] += 10_000 - sum(bps)
    sink = keeper.IntentSink(reader, 600, 100, 30, target_bps=dict(zip(symbols, bps, strict=True)))
    costs = cost_model(spec, "WETH", "USDC", 3000.0, None)
    kp = keeper.Keeper(config.keeper_policy(spec), costs, _limits(spec), sink, target=tuple(target_pct / 100))
    expected_first = None
    for k in range(8):
        price = 3000.0 * 1.03**k
        script.move(k, price)
        obs = reader.read()
        weights = np.array(obs.holdings) * np.array(obs.prices)
        weights /= weights.sum()
        drift = np.max(np.abs(weights - target_pct / 100))
        if expected_first is None and drift > 0.05:
            expected_first = k
        step = kp.step(obs)
        if expected_first is None or k < expected_first:
            assert not step.fired, (k, drift)
        if k == expected_first:
            assert step.fired, (k, drift)
            break
    assert expected_first is not None and expected_first >= 2  # it crossed mid-path, not at once
    intent = sink.built[0]
    assert intent.kind == IntentKind.WEIGHTS and list(intent.target_weight_bps) == bps
    assert intent.tolerance_bps == 50  # "to within 0.5%"


def test_should_print_what_it_would_sign_in_a_dry_run(chain: World, chain_handle: Any, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("KEEL_HOME", str(tmp_path))
    (tmp_path / "chain.json").write_text(json.dumps(chain_handle.to_json()))
    from contracts import chain as chain_mod

    chain_mod.refresh_feeds(chain)
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY.format(book=ROOT / "samples" / "book.csv", costs="flat"))
    log = tmp_path / "watch.log"
    res = run_cli(capsys, "watch", str(policy), "--dry-run", "--owner", chain.users[0].address, "--polls", "1",
                  "--log", str(log), "--json")
    assert res.code == 0, res.err
    logged = json.loads(log.read_text().splitlines()[0])
    assert logged["fired"] is True and logged["reason"] == "impulse fired"  # the default keeper policy
    data = json.loads(res.out)
    assert data["steps"][0]["fired"] is True  # 100 WETH held against a ~38 WETH hedge target
    signed = data["would_sign"][0]
    assert signed["kind"] == 1 and signed["owner"] == chain.users[0].address
    assert "fired" in res.err


def test_rejects_watch_without_an_owner_or_account(chain: World, chain_handle: Any, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("KEEL_HOME", str(tmp_path))
    (tmp_path / "chain.json").write_text(json.dumps(chain_handle.to_json()))
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY.format(book=ROOT / "samples" / "book.csv", costs="flat"))
    res = run_cli(capsys, "watch", str(policy), "--dry-run", "--polls", "1")
    assert res.code == 2 and "owner" in res.err and "Traceback" not in res.err


def test_should_sign_submit_and_cancel_the_stale_intent_through_a_real_orderbook(chain: World, tmp_path: Path) -> None:
    import socket
    import subprocess
    import time
    import urllib.request

    from eth_account import Account

    from orderbook import client

    settlement = chain.settlement
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "keel"), "node", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--db", str(tmp_path / "orderbook.db"), "--chain-id", str(chain.chain_id), "--settlement", settlement,
         "--rpc-url", chain.rpc_url],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        script = Script(chain)
        spec = _spec(tmp_path)
        user = chain.users[0]
        reader = keeper.ChainReader(chain.web3(), chain.deployment, user.address, ("USDC", "WETH"), chain.deployment.v3_pool("USDC", "WETH", 500))
        sink = keeper.IntentSink(reader, 10**7, 100, 30, orderbook=url, signer=Account.from_key(user.private_key),
                                 chain_id=chain.chain_id, settlement=settlement)
        book = run.option_book(book_mod.load(ROOT / "samples" / "book.csv"), "WETH", script.t0)
        kp = keeper.Keeper(config.build(spec.policies[0]), cost_model(spec, "WETH", "USDC", 3000.0, None),
                           _limits(spec), sink, book=book, valid_s=10**7)
        script.move(0, 3000.0)
        first = kp.step(reader.read())
        script.move(1, 3300.0)
        second = kp.step(reader.read())
        assert first.fired and second.fired and second.cancelled == first.intent_id
        assert client.request(url, "GET", f"/intents/{first.intent_id}")["status"] == "cancelled"
        stored = client.request(url, "GET", f"/intents/{second.intent_id}")
        assert stored["status"] == "open"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
