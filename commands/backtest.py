"""`keel backtest`, `keel stress`, `keel watch`: when to rebalance, with numbers.

Thin: each command parses, calls the policy room (risk.backtest / risk.keeper) with
a cost model joined here from `routing.costs` (the pools) or a flat rate, and renders.
numpy, web3 and matplotlib are imported inside the functions so `keel --help` stays instant.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer

from keel import render

JSON = typer.Option(False, "--json", help="Print JSON.")
WATCH_POOL_FEE_PIPS = 500  # `keel watch` checks the oracle against the 0.05% V3 pool of its pair, if there is one
POLICY = typer.Option(..., "--policy", help="Policy file (TOML), e.g. samples/policy.toml.")
BOOK = typer.Option(None, "--book", help="Options book (CSV/JSON); overrides [book] file.")
SNAPSHOT = typer.Option(None, "--snapshot", help="Liquidity snapshot JSON (default: read the running chain's pools).")
COLUMNS = ["policy", "param", "cost_mean", "cost_std", "hedge_error", "hedge_error_ci", "trades_mean", "gas_mean",
           "drawdown_worst"]


def _spec(path: Path) -> Any:
    from risk.policies import config
    from risk.policies.errors import PolicyError

    if not path.is_file():
        raise PolicyError(f"policy: no such file {path}", "policy")
    return config.parse(path.read_text(), path.name)


def _book(spec: Any, override: Path | None) -> Any:
    from risk import book as book_mod
    from risk.policies.errors import PolicyError

    path = override or (Path(spec.book.file) if spec.book and spec.book.file else None)
    if path is None:
        raise PolicyError("book: pass --book FILE or set [book] file in the policy", "book")
    return book_mod.load(path)


def _liquidity(snapshot: Path | None) -> tuple[Any, Any]:
    from routing.pools import Liquidity

    if snapshot is not None:
        from routing.errors import SnapshotError

        if not snapshot.is_file():
            raise SnapshotError(f"snapshot: no such file {snapshot}", "snapshot")
        return Liquidity.loads(snapshot.read_text(), snapshot.name), None
    from contracts.chain import current_world
    from routing import chain

    world = current_world()
    return chain.snapshot(world.web3(), world.deployment), world.deployment


def cost_model(spec: Any, token: str, numeraire: str, spot: float, snapshot: Path | None, liq: Any = None) -> Any:
    """The backtest/keeper cost model for trading `token` against `numeraire` (symbols)."""
    import numpy as np

    from contracts.mainnet import NATIVE
    from risk.backtest.engine import CostModel

    c = spec.costs
    gas_eth = c.gas_price_gwei * 1e-9 * c.gas_per_trade
    eth_is_token = token == NATIVE  # gas priced at the simulated spot when the token is the native one
    if c.model == "flat":
        rate = c.flat_bps / 10_000
        return CostModel(impact=lambda q, s: np.abs(q) * s * rate,
                         gas=lambda s: gas_eth * (s if eth_is_token else np.full_like(s, _eth_usd())), rate=rate,
                         gwei=c.gas_price_gwei)
    from routing import costs

    if liq is None:
        liq, _ = _liquidity(snapshot)
    with render.stderr.status("building the cost curve from the pools' exact math…"):
        curve = costs.build_curve(liq, liq.resolve(token, "token"), liq.resolve(numeraire, "numeraire"), spot,
                                  c.gas_price_gwei, c.gas_per_trade, eth_price=_eth_usd())
    return CostModel(impact=curve.impact, gas=curve.gas, rate=curve.rate, gwei=c.gas_price_gwei)


def _eth_usd() -> float:
    """The world's native token price (the backtests' simulated paths price gas at it)."""
    from contracts import world_spec
    from contracts.mainnet import NATIVE

    return world_spec.USD_PRICE[NATIVE]


def _model(model: str) -> tuple[str, Path | None]:
    from risk.policies.errors import PolicyError

    if model in ("gbm", "garch"):
        return model, None
    if model.startswith("csv:"):
        return "csv", Path(model[4:])
    raise PolicyError(f"model: {model!r} is not gbm, garch or csv:FILE", "model")


def backtest(
    policy: Path = POLICY,
    book: Path = BOOK,
    portfolio: str = typer.Option(None, "--portfolio", help="Target weights, e.g. USDC=30,WETH=50,WBTC=20 (overrides [portfolio])."),
    n_paths: int = typer.Option(1000, "--paths", min=1, max=1_000_000, help="Number of simulated paths."),
    model: str = typer.Option("gbm", "--model", help="gbm | garch | csv:FILE (replay timestamp,TOKEN,... prices)."),
    seed: int = typer.Option(1, "--seed", help="Random seed."),
    spot: float = typer.Option(None, "--spot", help="Starting price of the underlying (default: the world's)."),
    snapshot: Path = SNAPSHOT,
    plot: Path = typer.Option(None, "--plot", help="Write the cost vs hedge-error frontier as a PNG."),
    trades: bool = typer.Option(False, "--trades", help="Add each policy's decisions on path 0 (step, new hedge) to --json."),
    hold: float = typer.Option(None, "--hold", help="Underlying held at the start instead of the hedge (implies --no-start-hedged)."),
    start_hedged: bool = typer.Option(True, "--start-hedged/--no-start-hedged",
                                      help="Start every path holding the hedge target (no common step-0 trade)."),
    gas: str = typer.Option(None, "--gas", help="constant | mean-reverting (default: the policy file's [gas] model)."),
    dask: str = typer.Option(None, "--dask", help="Dask scheduler address (tcp://HOST:8786): one task per policy variant; same rows as locally."),
    as_json: bool = JSON,
) -> None:
    """Run every policy (and each swept parameter) over simulated or replayed paths."""
    fan_out = None
    if dask:
        from risk.backtest.cluster import dask_fan_out

        fan_out = dask_fan_out(dask)
    start = hold if hold is not None else (None if start_hedged else 0.0)
    rows = run_backtest(policy, book, portfolio, n_paths, model, seed, spot, snapshot, int(trades), start, gas, fan_out)
    if plot is not None:
        from risk.backtest.plot import frontier_png

        weights = rows and rows[0].get("value_mean") is not None
        frontier_png(rows, plot, f"{policy.name}: cost vs {'tracking' if weights else 'hedge'} error",
                     "tracking error (bps, annualised)" if weights else "hedge error (std of hedged P&L before costs, numeraire)")
        render.status(f"frontier written to {plot}")
    weights = bool(rows) and rows[0].get("value_mean") is not None
    heads = _headers(weights)
    shown = [{heads[k]: _ci(r) if k == "hedge_error_ci" else _cell(k, r.get(k), weights) for k in COLUMNS} for r in rows]
    render.emit(rows, as_json, rows=shown, columns=list(heads.values()), title="backtest",
                justify_right=list(heads.values())[1:])


def _headers(weights: bool) -> dict[str, str]:
    """Every column with its unit: money in USD (the world's numeraires are USD stablecoins), error and
    drawdown in the unit each kind of run measures them in (bps and % of value for a portfolio)."""
    return {"policy": "policy", "param": "param", "cost_mean": "cost (USD, mean)", "cost_std": "cost sd (USD)",
            "hedge_error": "tracking err (bps/yr)" if weights else "hedge err (USD, sd)",
            "hedge_error_ci": "hedge err 95% (USD)", "trades_mean": "trades (mean)",
            "gas_mean": "gas (USD, mean)", "drawdown_worst": "worst dd (% of value)" if weights else "worst dd (USD)"}


def _cell(key: str, value: Any, weights: bool) -> str:
    if key == "policy" or value is None:
        return "" if value is None else str(value)
    if key in ("cost_mean", "cost_std", "gas_mean") or (key == "drawdown_worst" and not weights) or \
            (key == "hedge_error" and not weights):
        return render.usd(float(value))
    if key == "drawdown_worst":
        return f"{100 * float(value):.2f}%"
    return _fmt(value)


def _fmt(v: Any) -> str:
    return "" if v is None else f"{v:,.4g}" if isinstance(v, float) else str(v)


def _ci(row: dict[str, Any]) -> str:
    """The hedge error's 95% bootstrap interval (hedge runs only)."""
    if row.get("hedge_error_lo") is None:
        return ""
    return f"{render.usd(float(row['hedge_error_lo']))}–{render.usd(float(row['hedge_error_hi']))}"


def run_backtest(policy: Path, book: Path | None, portfolio: str | None, n_paths: int, model: str, seed: int,
                 spot: float | None, snapshot: Path | None, record: int = 0, hold: float | None = None,
                 gas: str | None = None, fan_out: Any = None) -> list[dict[str, Any]]:
    """Load, join costs, run; the rows `keel backtest` prints (also used by tests).

    `fan_out` (`risk.backtest.cluster.dask_fan_out`) runs the policy variants on a cluster.
    """
    from contracts import world_spec
    from risk.backtest import paths as paths_mod
    from risk.backtest import run

    spec = _spec(policy)
    kind, csv_path = _model(model)
    series = None
    if csv_path is not None:
        from risk.policies.errors import PathError

        if not csv_path.is_file():
            raise PathError(f"model: no such price file {csv_path}", "model")
        series = paths_mod.parse_csv(csv_path.read_text(), csv_path.name)
    if portfolio is not None or spec.is_weights:
        return _run_weights(spec, portfolio, n_paths, kind, seed, snapshot, series, fan_out)
    underlying, numeraire = spec.book.underlying, spec.book.numeraire
    s0 = spot or (float(series.path(underlying)[0, 0]) if series else world_spec.USD_PRICE.get(underlying, 0.0))
    start = float(series.timestamps[0]) if series is not None else time.time()
    ob = run.option_book(_book(spec, book), underlying, start)
    costs = cost_model(spec, underlying, numeraire, s0, snapshot)
    from rich.progress import Progress

    with Progress(console=render.stderr, transient=True) as bar:
        task = bar.add_task("backtest: steps over all paths", total=None)
        rows, runs = run.hedge_backtest(spec, ob, s0, kind, n_paths, seed, costs, series, initial_hedge=hold,
                                        record=record, progress=lambda i, n: bar.update(task, completed=i, total=n),
                                        gas_model=gas, fan_out=fan_out)
    if record:
        for row, r in zip(rows, runs, strict=True):
            row["trades"] = [[i, pos] for i, _, pos in r.trades]
    return rows


def _run_weights(spec: Any, portfolio: str | None, n_paths: int, kind: str, seed: int, snapshot: Path | None,
                 series: Any, fan_out: Any = None) -> list[dict[str, Any]]:
    import numpy as np

    from contracts import world_spec
    from contracts.mainnet import NATIVE
    from risk.backtest import run
    from risk.backtest.weights import WeightsCost
    from risk.policies.errors import PolicyError

    if portfolio is not None:
        pairs = [p.split("=") for p in portfolio.split(",")]
        if any(len(p) != 2 for p in pairs):
            raise PolicyError("portfolio: expected TOKEN=PERCENT,... e.g. USDC=30,WETH=50,WBTC=20", "portfolio")
        try:
            targets = [float(p[1].rstrip("%")) for p in pairs]
        except ValueError:
            raise PolicyError("portfolio: each weight must be a number, e.g. USDC=30,WETH=50,WBTC=20", "portfolio") from None
        pf = {"tokens": [p[0].strip().upper() for p in pairs], "target": targets}
        from risk.policies import config
        from risk.policies.config import PortfolioSpec

        try:
            merged = PortfolioSpec.model_validate({**(spec.portfolio.model_dump() if spec.portfolio else {}), **pf,
                                                   "vols": None, "correlation": None})
        except Exception as exc:
            raise PolicyError(f"portfolio: {exc.errors()[0]['msg'].removeprefix('Value error, ')}", "portfolio") from None  # type: ignore[attr-defined]
        spec = spec.model_copy(update={"portfolio": merged, "book": None})
        # the file may have been written for a book: its policies must also make sense for weights
        try:
            config.validate_ranges(spec)
        except PolicyError as exc:
            raise PolicyError(f"--portfolio: the policy file's policies do not fit a portfolio: {exc.detail}",
                              exc.field) from None
    pf = spec.portfolio
    spots = {t: world_spec.USD_PRICE.get(t, 1.0) for t in pf.tokens}
    numeraire = pf.tokens[0]
    curves = [cost_model(spec, t, numeraire, spots[t] / spots[numeraire], snapshot) for t in pf.tokens[1:]]

    def impact(q: Any, p: Any) -> Any:
        return sum(c.impact(q[:, j + 1], p[:, j + 1]) for j, c in enumerate(curves))

    gas = float(curves[0].gas(np.array([spots.get(NATIVE, _eth_usd())]))[0]) if curves else 0.0
    costs = WeightsCost(impact=impact, gas=gas, rate=float(np.mean([c.rate for c in curves])))
    with render.stderr.status(f"backtest: {n_paths} paths…"):
        rows, _ = run.weights_backtest(spec, spots, kind, n_paths, seed, costs, series, fan_out=fan_out)
    return rows


def register(app: typer.Typer) -> None:
    app.command("backtest")(backtest)
    app.command("stress")(stress)
    app.command("watch")(watch)


SHOCKS = (  # (label, spot multiplier, vol multiplier, liquidity withdrawn)
    ("spot -30%", 0.7, 1.0, 0.0), ("spot -10%", 0.9, 1.0, 0.0), ("spot +10%", 1.1, 1.0, 0.0),
    ("spot +30%", 1.3, 1.0, 0.0), ("vol x2", 1.0, 2.0, 0.0),
    # liquidity leaving matters for the trade a move demands: price the -10% move's trade
    ("liquidity -50%, spot -10%", 0.9, 1.0, 0.5), ("liquidity -90%, spot -10%", 0.9, 1.0, 0.9),
)


def stress(
    policy: Path = POLICY,
    book: Path = BOOK,
    spot: float = typer.Option(None, "--spot", help="Current price of the underlying (default: the oracle)."),
    snapshot: Path = SNAPSHOT,
    as_json: bool = JSON,
) -> None:
    """Per shock and policy: the trade demanded, its cost through the pools, the breakers it trips."""
    rows = run_stress(policy, book, spot, snapshot)
    cols = ["shock", "policy", "trade (underlying)", "notional (USD)", "cost (USD)", "impact (bps)", "tripped"]
    shown = [{"shock": r["shock"], "policy": r["policy"], "trade (underlying)": f"{r['trade']:+,.4f}",
              "notional (USD)": render.usd(r["notional"]), "cost (USD)": render.usd(r["cost"]),
              "impact (bps)": f"{r['impact_bps']:,.1f}", "tripped": ", ".join(r["tripped"]) or "-"} for r in rows]
    render.emit(rows, as_json, rows=shown, columns=cols, title="stress", justify_right=cols[2:6])


def run_stress(policy: Path, book: Path | None, spot: float | None, snapshot: Path | None) -> list[dict[str, Any]]:
    """Assume the book is hedged to each policy's choice at today's state, apply each shock
    in one poll (pools re-centred on the shocked price, vol as the EWMA sees a jump), ask
    the policy, price its trade through the (possibly thinned) pools, check the breakers."""
    from rich.progress import Progress

    from risk import breakers
    from risk.backtest import run
    from risk.policies.errors import PolicyError
    from routing import costs

    spec = _spec(policy)
    if spec.book is None:
        raise PolicyError("policy: keel stress takes a [book] policy file", "policy")
    liq, deployment = _liquidity(snapshot)
    token, num = liq.resolve(spec.book.underlying, "underlying"), liq.resolve(spec.book.numeraire, "numeraire")
    s0 = spot or _oracle_price(deployment, spec.book.underlying, spec.book.numeraire) or costs.pool_price(
        costs.direct_pools(liq, token, num)[0], token, liq)
    now = time.time()
    ob = run.option_book(_book(spec, book), spec.book.underlying, now).live()
    c = spec.costs
    with render.stderr.status("stress: building the cost curve from the pools…"):
        base_curve = costs.build_curve(liq, token, num, s0, c.gas_price_gwei, c.gas_per_trade)
    b = spec.breakers
    limits = breakers.Limits(b.max_oracle_age_s, b.max_pool_deviation_bps, b.max_impact_bps, b.halt_vol,
                             b.notional_cap, b.notional_window_hours * 3600, b.resume_fraction)
    dt_s = 86_400 / spec.backtest.steps_per_day
    sigma = ob.mean_vol
    rows = []
    with Progress(console=render.stderr, transient=True) as bar:
        task = bar.add_task("stress: shocks", total=len(SHOCKS))
        for shock in SHOCKS:
            rows += _shock_rows(shock, spec, liq, token, num, s0, ob, base_curve, limits, dt_s, sigma, now)
            bar.advance(task)
    return rows


def _shock_rows(shock: tuple[str, float, float, float], spec: Any, liq: Any, token: Any, num: Any, s0: float, ob: Any,
                base_curve: Any, limits: Any, dt_s: float, sigma: float, now: float) -> list[dict[str, Any]]:
    """One shock: each policy's trade, its cost through the (possibly thinned) pools, the breakers it trips."""
    import math

    import numpy as np

    from risk import breakers
    from risk.policies import config
    from risk.policies.base import annualise, ewma_decay, ewma_variance
    from routing import costs

    c = spec.costs
    rows = []
    label, m_spot, m_vol, withdrawn = shock
    curve = base_curve if withdrawn == 0 else costs.build_curve(
        costs.withdraw(liq, withdrawn), token, num, s0, c.gas_price_gwei, c.gas_per_trade)
    s = np.array([s0 * m_spot])
    step_var = ewma_variance(np.array([(sigma * m_vol) ** 2 * dt_s / 31_536_000]), np.array([math.log(m_spot)]),
                             ewma_decay(dt_s, spec.backtest.vol_half_life_hours * 3600))
    realized = annualise(step_var, dt_s)
    _, d0, _ = ob.greeks(np.array([s0]), 0.0)
    _, delta, gamma = ob.greeks(s, 0.0, m_vol)
    for p in spec.policies:
        pol = config.build(p, spec.gas)
        hs = _stress_state(s, spec.book.target_delta - d0, delta, gamma, realized, sigma * m_vol, ob, curve,
                           lambda mult, x=s, mv=m_vol: ob.greeks(x, 0.0, mv * mult)[1], spec.book.target_delta)
        d = pol.decide(hs)
        q = float(d.position[0] - hs.hedge[0]) if d.trade[0] else 0.0
        notional = abs(q) * float(s[0])
        impact = float(curve.impact(np.array([q]), s)[0]) if q else 0.0
        verdict = breakers.check(limits, breakers.State(), breakers.Reading(
            now, now, float(s[0]), float(s[0]), impact / notional * 1e4 if notional else 0.0, float(realized[0]), notional))
        rows.append({"shock": label, "policy": p.name, "trade": q, "notional": notional,
                     "cost": impact + (float(curve.gas(s)[0]) if q else 0.0),
                     "impact_bps": impact / notional * 1e4 if notional else 0.0,
                     "tripped": [t.breaker for t in verdict.trips]})
    return rows


def _stress_state(spot: Any, hedge: Any, delta: Any, gamma: Any, realized: Any, vol: float, ob: Any, curve: Any,
                  delta_scaled: Any, target_delta: float) -> Any:
    """The one-poll state a shocked market shows a policy (gas at today's reference price)."""
    import numpy as np

    from risk.policies.base import HedgeState

    gas_now = curve.gas(spot)
    return HedgeState(
        t_s=0.0, spot=spot, hedge=hedge, delta=delta, gamma=gamma, since_trade_s=np.array([0.0]),
        realized_vol=realized, vol=vol, tau_years=ob.nearest_expiry_years, rate=ob.rate, cost_rate=curve.rate,
        trade_cost=lambda q, x: np.where(q != 0, curve.impact(q, x) + curve.gas(x), 0.0),
        delta_scaled=delta_scaled, target_delta=target_delta, gas_cost=gas_now, gas_ref_cost=gas_now)


def _oracle_price(deployment: Any, token: str, numeraire: str) -> float | None:
    """Numeraire per whole token from the two oracle feeds; None without a chain (a --snapshot run)."""
    if deployment is None:
        return None
    from contracts.chain import current_world
    from intents.chain import token_states

    w = current_world()
    states = token_states(w.web3(), deployment, w.deployer.address, [numeraire, token])
    return states[1].usd_price_8 / states[0].usd_price_8


def _orderbook(ctx: typer.Context, param: typer.CallbackParam, value: str | None) -> str:
    from commands.intent import _orderbook_default

    return _orderbook_default(ctx, param, value)


ORDERBOOK_OPTION = typer.Option("http://127.0.0.1:8088", "--orderbook", callback=_orderbook,
                                help="Orderbook URL (left at its default: the one `keel up` started).")


def watch(
    policy: Path = typer.Argument(..., help="Policy file (TOML), e.g. samples/policy.toml."),
    book: Path = BOOK,
    account: str = typer.Option(None, "--account", help="Keystore account that signs (see `keel account list`)."),
    owner: str = typer.Option(None, "--owner", help="Address to watch (with --dry-run, no keystore needed)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print what would be signed; sign and submit nothing."),
    polls: int = typer.Option(0, "--polls", min=0, help="Stop after N polls (0: run until interrupted)."),
    orderbook: str = ORDERBOOK_OPTION,
    snapshot: Path = SNAPSHOT,
    log: Path = typer.Option(None, "--log", help="Append one JSON line per poll (why it fired, or did not) to this file."),
    as_json: bool = JSON,
) -> None:
    """The keeper: poll the chain, run the policy, check breakers, sign a fresh intent when it fires."""
    steps, sink = run_watch(policy, book, account, owner, dry_run, polls, orderbook, snapshot, log)
    data = [{"time": s.now_s, "fired": s.fired, "position": s.position, "tripped": list(s.tripped),
             "intent": s.intent_id, "cancelled": s.cancelled, "reason": s.reason} for s in steps]
    if dry_run:
        data = {"steps": data, "would_sign": [i.message() for i in sink.built]}  # type: ignore[assignment]
    if as_json:
        render.emit_json(data)


def run_watch(policy: Path, book: Path | None, account: str | None, owner: str | None, dry_run: bool, polls: int,
              orderbook: str, snapshot: Path | None, log: Path | None = None) -> tuple[list[Any], Any]:
    """Run the keeper live: read the chain, decide, sign and submit when it fires; `polls` = 0 runs forever."""
    from contracts.chain import current_world
    from risk import breakers, keeper
    from risk.policies import config

    spec = _spec(policy)
    world = current_world()
    signer, owner = _watch_signer(account, owner, dry_run)
    symbols = (spec.book.numeraire, spec.book.underlying) if spec.book else tuple(spec.portfolio.tokens)
    pool = world.deployment.find_v3_pool(symbols[0], symbols[1], WATCH_POOL_FEE_PIPS)
    reader = keeper.ChainReader(world.web3(), world.deployment, owner, symbols, pool)
    first = reader.read()
    liq = _liquidity(snapshot)[0] if spec.costs.model == "pools" else None
    costs = cost_model(spec, symbols[1], symbols[0], first.prices[1], snapshot, liq)
    b, k = spec.breakers, spec.keeper
    limits = breakers.Limits(b.max_oracle_age_s, b.max_pool_deviation_bps, b.max_impact_bps, b.halt_vol,
                             b.notional_cap, b.notional_window_hours * 3600, b.resume_fraction)
    kw, target_bps = _watch_target(spec, book, first.now_s)
    sink = keeper.IntentSink(reader, k.valid_seconds, k.slippage_bps, k.max_fee_bps, k.band_tokens, target_bps,
                             None if dry_run else orderbook, signer, world.chain_id,
                             world.deployment.keel.settlement if world.deployment.keel else "")
    kp = keeper.Keeper(config.keeper_policy(spec), costs, limits, sink, valid_s=k.valid_seconds,
                       vol_half_life_s=spec.backtest.vol_half_life_hours * 3600, **kw)
    n = 0
    obs = first
    while True:
        step = kp.step(obs)
        render.status(_describe(step, symbols))
        if log is not None:
            _log_step(log, step)
        n += 1
        if polls and n >= polls:
            return kp.log, sink
        time.sleep(k.poll_seconds)
        obs = reader.read()


def _watch_signer(account: str | None, owner: str | None, dry_run: bool) -> tuple[Any, str]:
    """The signing account (None on --dry-run) and the owner whose portfolio is watched."""
    from risk.policies.errors import PolicyError

    signer = None
    if account is None and owner is None:
        from commands.wallet import default_account

        account = default_account()  # `keel account use NAME`
    if account is not None and not dry_run:
        from commands.account import password
        from intents import keystore

        signer = keystore.unlock(account, password(confirm=False))
        owner = signer.address
    elif account is not None:
        from intents import keystore

        owner = keystore.find(account).address
    if owner is None:
        raise PolicyError("owner: pass --account NAME (or --owner ADDRESS with --dry-run)", "owner")
    if signer is None and not dry_run:
        raise PolicyError("account: signing needs --account NAME; use --dry-run to only print", "account")
    return signer, owner


def _watch_target(spec: Any, book: Path | None, now_s: float) -> tuple[dict[str, Any], dict[str, int] | None]:
    """The keeper's target: a book and its delta target, or portfolio weights (and their bps for the intent)."""
    import numpy as np

    from risk.backtest import run

    if spec.book is not None:
        return {"book": run.option_book(_book(spec, book), spec.book.underlying, now_s),
                "target_delta": spec.book.target_delta}, None
    bps = [round(x * 100) for x in spec.portfolio.target]
    bps[-1] += 10_000 - sum(bps)
    return {"target": tuple(np.asarray(spec.portfolio.target) / 100)}, dict(zip(spec.portfolio.tokens, bps, strict=True))


def _log_step(log: Path, step: Any) -> None:
    import json

    with log.open("a") as fh:
        fh.write(json.dumps({"time": step.now_s, "fired": step.fired, "position": step.position,
                             "tripped": list(step.tripped), "intent": step.intent_id,
                             "cancelled": step.cancelled, "reason": step.reason}) + "\n")


def _describe(step: Any, symbols: tuple[str, ...]) -> str:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(step.now_s))
    if step.fired:
        what = f"hedge -> {step.position[0]:.4f} {symbols[1]}" if len(step.position) == 1 else \
            "weights -> " + "/".join(f"{100 * w:.2f}" for w in step.position)
        return f"{stamp} fired: {step.reason}, {what}, intent {step.intent_id}" + (f" (cancelled {step.cancelled})" if step.cancelled else "")
    if step.tripped:
        return f"{stamp} NOT signed: {step.reason}"
    return f"{stamp} no trade: {step.reason}"
