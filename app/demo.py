"""`keel demo`: one batch auction, end to end, on the `keel up` stack.

The story: three world users sign weights intents and a fourth signs a delta hedge for
the sample options book; they submit them to the orderbook over HTTP; one auction round
runs — the baseline and milp solver nodes answer over HTTP, the auctioneer verifies,
simulates and ranks them, and the winner settles on the chain. The report holds every
portfolio before and after, the competing solutions, the winner and its gas, and what
the batch saved against routing each intent alone along its best split route (`solver.savings`). Everything started is stopped again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from keel.errors import RefusedError
from keel.paths import REPO_ROOT

Progress = Callable[[str], None]

SAMPLE_BOOK = REPO_ROOT / "samples" / "book.csv"
DEADLINE_S = 6.0
VALID_S = 1800
# (world user index, target weights in percent): offsetting on purpose — user 0 holds too
# much ETH, user 3 too much ETH and DAI, user 8 too little ETH
WEIGHTS: tuple[tuple[int, dict[str, int]], ...] = (
    (0, {"USDC": 40, "WETH": 40, "WBTC": 20}),
    (3, {"USDC": 50, "WETH": 30, "DAI": 20}),
    (8, {"USDC": 20, "WETH": 50, "DAI": 0, "WBTC": 30}),
)
HEDGER = 1  # cash-heavy: short the sample book's calls, buys ETH to land its delta at 0 ± 2
HEDGE_BAND = 2.0


@dataclass
class DemoReport:
    rpc_url: str = ""
    intents: list[dict[str, Any]] = field(default_factory=list)
    before: dict[str, dict[str, int]] = field(default_factory=dict)
    after: dict[str, dict[str, int]] = field(default_factory=dict)
    prices: dict[str, float] = field(default_factory=dict)  # USD per whole token (oracle)
    decimals: dict[str, int] = field(default_factory=dict)
    round: dict[str, Any] = field(default_factory=dict)
    candidates: list[dict[str, Any]] = field(default_factory=list)
    savings: dict[str, float] = field(default_factory=dict)
    stopped: dict[str, Any] = field(default_factory=dict)
    route_png: str | None = None


def run(progress: Progress, chain_port: int | None = None) -> DemoReport:
    """Start the stack, tell the story, stop the stack (also on error or Ctrl-C).

    The demo keeps its state (orderbook, rounds, logs, chain record) in `<KEEL_HOME>/demo`,
    wiped at each start, so it never mixes with — or disturbs — a `keel up` of the user's.
    """
    import os
    import shutil

    from app import processes
    from keel.paths import state_dir

    home = state_dir() / "demo"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    previous = os.environ.get("KEEL_HOME")
    os.environ["KEEL_HOME"] = str(home)  # the services started below inherit it
    try:
        return _run(progress, processes, chain_port)
    finally:
        if previous is None:
            os.environ.pop("KEEL_HOME", None)
        else:
            os.environ["KEEL_HOME"] = previous


def _run(progress: Progress, processes: Any, chain_port: int | None) -> DemoReport:
    if processes.read_procs()["services"]:
        raise RefusedError("a demo is already running in this folder: run `keel down` with KEEL_HOME=.keel/demo")
    report = DemoReport()
    progress("starting the chain, the orderbook and two solver nodes")
    info = processes.up(interval_s=0, deadline_s=DEADLINE_S, progress=progress, auctioneer=False, chain_port=chain_port)
    try:
        _story(info, report, progress)
    finally:
        progress("stopping everything the demo started")
        report.stopped = processes.down()
    return report


def _story(info: dict[str, Any], report: DemoReport, progress: Progress) -> None:
    """Sign, submit, run one round, then record what changed, what it saved and the route."""
    from contracts import chain as chain_mod
    from contracts.feeds import read_round

    world = chain_mod.current_world()
    w3 = world.web3()
    report.rpc_url = world.rpc_url
    symbols = {a: s for s, a in world.tokens.items()}
    report.decimals = {s: _decimals(w3, a) for s, a in world.tokens.items()}
    rounds = {s: read_round(w3, world.deployment.feed(s).address) for s in world.tokens}
    report.prices = {s: r.usd for s, r in rounds.items()}

    progress("users sign their intents")
    signed = _sign(world, report)
    owners = [s.intent.owner for s in signed]
    report.before = {o: _balances(w3, world, o, symbols) for o in owners}
    progress("submitting them to the orderbook over HTTP")
    _submit(info["orderbook"], world.chain_id, report, signed)
    progress("running one auction round: the solvers compete over HTTP")
    result = _one_round(world)
    winner = _record_round(report, result)
    if winner is not None and winner.tx_hash:
        _record_savings(report, result.round_id, winner)
    report.after = {o: _balances(w3, world, o, symbols) for o in owners}
    if winner is not None and winner.solution.stats.get("hops"):
        prices = {a: rounds[s].usd_price(report.decimals[s]) for a, s in symbols.items()}
        report.route_png = _draw_route(winner, result.round_id, symbols, report.decimals, prices)


def _sign(world: Any, report: DemoReport) -> list[Any]:
    """Three weights intents and one hedge, each described in `report.intents`."""
    signed = [_weights(world, user, target) for user, target in WEIGHTS]
    signed.append(_hedge(world, HEDGER))
    for (user, target), s in zip(WEIGHTS, signed, strict=False):
        report.intents.append({"user": f"user{user + 1}", "owner": s.intent.owner, "kind": "weights",
                               "outcome": " ".join(f"{k} {v}%" for k, v in target.items()) + " ± 0.5%"})
    report.intents.append({"user": f"user{HEDGER + 1}", "owner": signed[-1].intent.owner, "kind": "hedge",
                           "outcome": _hedge_text(signed[-1], report.decimals["WETH"]),
                           "wethBounds": [signed[-1].intent.min_balance[1], signed[-1].intent.max_balance[1]]})
    return signed


def _submit(orderbook: str, chain_id: int, report: DemoReport, signed: list[Any]) -> None:
    from intents.wire import SignedIntentModel
    from orderbook import client

    for entry, s in zip(report.intents, signed, strict=True):
        body = SignedIntentModel.from_signed(s, chain_id).model_dump(mode="json", exclude_none=True)
        answer = client.request(orderbook, "POST", "/intents", body)
        entry["id"] = answer.get("id") if isinstance(answer, dict) else None


def _record_round(report: DemoReport, result: Any) -> Any:
    """The round and every candidate as the auctioneer saw them; returns the settled one (or None)."""
    report.round = {"id": result.round_id, "status": result.status, "winner": result.winner, "txHash": result.tx_hash,
                    **gap_to_bound(result)}
    for c in result.candidates:
        stats = c.solution.stats if c.solution else {}
        report.candidates.append({
            "solver": c.endpoint.url, "strategy": stats.get("strategy", "?"),
            "intents": len(c.solution.executions) if c.solution else 0,
            "score_usd": None if c.score is None else c.score / 1e18, "gas": c.gas,
            "matched_share": stats.get("matched_share"), "verdict": c.verdict, "reason": c.reason,
        })
    return next((c for c in result.candidates if c.verdict == "settled"), None)


def gap_to_bound(result: Any) -> dict[str, Any]:
    """The winner's score against keel's joint bound, as a milp node computed it for this round's
    auction (`solver.joint`): `{"jointBoundUsd", "gapToBoundUsd"}`, empty when no candidate
    carried a bound or nothing won."""
    bounds = [c.solution.stats["joint_bound_usd"] for c in result.candidates
              if c.solution is not None and isinstance(c.solution.stats.get("joint_bound_usd"), int | float)]
    won = next((c for c in result.candidates if c.solution is not None and c.endpoint.url == result.winner
                and c.score is not None), None)
    if not bounds or won is None:
        return {}
    bound = min(bounds)  # every node's bound bounds the same auction: the least is the tightest
    return {"jointBoundUsd": round(bound, 2), "gapToBoundUsd": round(bound - won.score / 1e18, 2)}


def _record_savings(report: DemoReport, round_id: int, winner: Any) -> None:
    """Gas used on chain and the savings as the auctioneer stored them when it closed the round
    (`auction.settled`): the demo, the explorer and `keel intent show` read one set of figures."""
    from app import processes
    from auction.rounds import RoundStore

    rounds = RoundStore(processes.auction_db())
    try:
        kept = rounds.settlement(round_id)
    finally:
        rounds.close()
    if kept is None:
        return
    report.round["gasUsed"] = kept.gas_used
    report.round["boundStored"] = kept.gap_to_bound_usd is not None
    if kept.gap_to_bound_usd is not None and kept.joint_bound_usd is not None:  # as `keel auction show` prints it
        report.round["jointBoundUsd"] = round(kept.joint_bound_usd, 2)
        report.round["gapToBoundUsd"] = round(kept.gap_to_bound_usd, 2)
    if kept.saved_usd is not None and kept.batch_cost_usd is not None and kept.alone_cost_usd is not None:
        report.savings = {"batch_cost_usd": kept.batch_cost_usd, "alone_cost_usd": kept.alone_cost_usd,
                          "saved_usd": kept.saved_usd, "alone_unsettled": len(kept.alone_unsettled),
                          "matched_share": winner.solution.stats.get("matched_share", 0.0)}


def _draw_route(winner: Any, round_id: int, symbols: dict[str, str], decimals: dict[str, int],
                prices: Mapping[str, int]) -> str:
    from keel.paths import state_dir
    from routing.plot import plot_route

    picture = plot_route(winner.solution.stats["hops"], symbols, state_dir() / "route.png",
                         title=f"round {round_id}: what the pools carried after netting",
                         decimals={a: decimals[s] for a, s in symbols.items()}, prices=prices)
    return str(picture)


def _one_round(world: Any) -> Any:
    from app import processes
    from auction import snapshot
    from auction.auctioneer import Auctioneer
    from auction.registry import Registry
    from auction.rounds import RoundStore
    from orderbook.store import open_store

    registry = Registry(processes.auction_db())
    view = snapshot.WorldView(world.chain_id, world.deployment)
    w3 = world.web3()
    store = open_store(processes.orderbook_db())
    rounds = RoundStore(processes.auction_db())
    try:
        from auction.auth import load_or_create

        auctioneer = Auctioneer(w3, view, store, rounds, registry.all, deadline_s=DEADLINE_S,
                                signer=load_or_create())
        result = asyncio.run(auctioneer.run_round())
    finally:
        rounds.close()
        store.close()
        registry.close()
    if result is None:
        raise RefusedError("the auctioneer found no open intents: the orderbook did not keep them")
    return result


def _weights(world: Any, user: int, target: dict[str, int]) -> Any:
    from intents import build
    from intents.chain import token_states
    from intents.signing import sign_intent

    owner = world.users[user]
    w3 = world.web3()
    symbols = build.order_tokens(list(target), None)
    states = token_states(w3, world.deployment, owner.address, symbols)
    intent, _ = build.weights_intent(owner.address, states, {s: target[s] * 100 for s in symbols}, 50, 100, 30,
                                     int(time.time()) + VALID_S, int(time.time()))
    return sign_intent(intent, owner.private_key, world.chain_id, world.settlement)


def _hedge(world: Any, user: int) -> Any:
    from intents import build
    from intents.chain import token_states
    from intents.signing import sign_intent
    from risk.book import load

    owner = world.users[user]
    w3 = world.web3()
    numeraire, underlying, wbtc = token_states(w3, world.deployment, owner.address, ["USDC", "WETH", "WBTC"])
    book = load(Path(SAMPLE_BOOK))
    delta = book.delta_of("WETH", {"WETH": underlying.usd, "WBTC": wbtc.usd}, time.time())
    band = build.hedge_band(delta, underlying.balance, underlying.decimals, 0.0, HEDGE_BAND)
    intent = build.hedge_intent(owner.address, numeraire, underlying, band, 100, 30, int(time.time()) + VALID_S,
                                int(time.time()))
    return sign_intent(intent, owner.private_key, world.chain_id, world.settlement)


def _hedge_text(signed: Any, decimals: int) -> str:
    lo, hi = signed.intent.min_balance[1], signed.intent.max_balance[1]
    return f"WETH balance in [{lo / 10**decimals:.3f}, {hi / 10**decimals:.3f}] (book delta + spot = 0 ± {HEDGE_BAND:g})"


_ERC20 = [
    {"name": "balanceOf", "type": "function", "stateMutability": "view",
     "inputs": [{"name": "a", "type": "address"}], "outputs": [{"name": "", "type": "uint256"}]},
    {"name": "decimals", "type": "function", "stateMutability": "view", "inputs": [],
     "outputs": [{"name": "", "type": "uint8"}]},
]


def _balances(w3: Any, world: Any, owner: str, symbols: dict[str, str]) -> dict[str, int]:
    return {s: int(w3.eth.contract(address=a, abi=_ERC20).functions.balanceOf(owner).call()) for a, s in symbols.items()}


def _decimals(w3: Any, address: str) -> int:
    return int(w3.eth.contract(address=address, abi=_ERC20).functions.decimals().call())
