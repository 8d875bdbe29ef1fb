"""Bench: one auction round of 4, 10, 50, 100 and 1,000 users' intents over the world, milp vs baseline.

Prints, per batch size: time per phase (translate, joint program, reprice — the volumes chosen
again at the clearing's prices and a bounded price search —, net+clear, route, the round's own
bound, simulate, settle), gas per intent settled, the share of volume matched internally, the
milp strategy's score relative to the baseline's, both measured in this run on the same auction;
intents settled and score beside the previous version's (`PREVIOUS`); keel's joint bound and the
gap to it — on batches up to 100, the smallest of the valid bounds (each bounds every
settlement): the mixture program (`solver.joint_mixture`) refined for `REFINE_S` seconds by the
bench after the round (branch and bound over the price box and the washes, `solver.joint_branch`),
the wash-free Lagrangian bound (`solver.joint_lagrange`, on the whole price box and on its
two halves, `LAGRANGE_S` seconds in all; its stages printed), the round's own bound and the previous bound (the Lagrangian at
the reference duals); on batches up to 100, the saving over
routing each settled intent alone with the best split router (the milp strategy on a one-intent
auction) and its share of the bound's saving (and of the fixed-price relaxation's); on batches up
to 100, the best net-sells solution of the fixed-price relaxation (with the balances bands) at
`PRICE_SAMPLES` uniform
clearing price vectors and the box's corners; on batches up to 10, an independent fixed-price program
(`bench.joint_reference`, Clarabel) at 5 prices per token of the price box: its best net-sells
solution must lie under the bound (its gross-sells optimum, printed beside it, may not).
Users beyond the world's ten are made on the fork by writing token balances and relayer
allowances into storage, so the bench needs no thousands of transactions to set up.
The fork runs with no block gas limit: a 1,000-execution settlement does not fit a
mainnet block, and the bench says how much gas it would need.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eth_abi import encode
from eth_utils import keccak
from rich.console import Console
from rich.table import Table

from contracts import chain as chain_mod
from contracts import world_spec
from contracts.settlement import Settlement, make_batch
from contracts.world import World
from intents import build as ib
from intents.build import TokenState
from intents.signing import sign_intent
from keel.units import NATIVE_DECIMALS, feed_answer, usd_price_from_feed
from solver.domain import Auction, BatchIntent, Token
from solver.strategies.baseline import Baseline
from solver.strategies.milp import Milp

SIZES = (4, 10, 50, 100, 1000)
ALONE_UP_TO = 100  # best-split-alone is solved per intent on batches up to this size
PRICE_SAMPLES = 24  # uniform clearing price vectors tried against the bound, on batches up to SAMPLED_UP_TO
SAMPLED_UP_TO = 100
REFINE_S = 120.0  # the bench's branch and bound (price box and washes), per batch up to ALONE_UP_TO intents
LAGRANGE_S = 180.0  # the bench's wash-free Lagrangian bound (the whole box and its two halves), per batch up to ALONE_UP_TO
GRID = (0.9851, 0.99255, 1.0, 1.00745, 1.0149)  # the reference program's prices per token: the bench's ±1.5% band
REFERENCE_UP_TO = 10  # the independent fixed-price program over a grid of the price box, on batches up to this size
# the previous version (main at a271f1c, greedy transport plan, volumes fixed at the inner half-band's
# least trade), measured by this bench on 2026-12-01 before the joint program: bench/results/auction_previous.txt
PREVIOUS = {4: {"intents": 3, "settled": 3, "score_usd": 1526.80, "saving_usd": -1.83},
            10: {"intents": 10, "settled": 10, "score_usd": 14180.01, "saving_usd": 260.81},
            50: {"intents": 50, "settled": 48, "score_usd": 83310.24, "saving_usd": 3656.29},
            100: {"intents": 97, "settled": 96, "score_usd": 174074.12, "saving_usd": 4993.71},
            1000: {"intents": 970, "settled": 932, "score_usd": 1738782.0, "saving_usd": float("nan")}}
DEADLINE_S = 10.0
# anvil refuses JSON-RPC bodies past a few MB, and no real chain takes a transaction of that
# size (geth's limit is 128 KB): a batch that large is solved, but not sent.
MAX_CALLDATA_KB = 1024
BALANCE_SLOT = {"WETH": 3, "USDC": 0, "DAI": 0, "WBTC": 0}
ALLOWANCE_SLOT = {"WETH": 4, "USDC": 1, "DAI": 1, "WBTC": 1}
FEED = {s: feed_answer(usd) for s, usd in world_spec.USD_PRICE.items()}  # the world's oracle answers
console = Console(stderr=True)


def slot(key: str, base: int) -> str:
    return "0x" + keccak(encode(["address", "uint256"], [key, base])).hex()


def nested_slot(owner: str, spender: str, base: int) -> str:
    inner = keccak(encode(["address", "uint256"], [owner, base]))
    return "0x" + keccak(encode(["address", "bytes32"], [spender, inner])).hex()


def intents_for(world: World, users, rng: random.Random) -> list:
    settlement = world.settlement
    out = []
    valid_to = int(time.time()) + 3600
    for acct, holdings in users:
        symbols = [s for s in ("USDC", "WETH", "WBTC", "DAI") if s in holdings]
        if len(symbols) < 2:
            continue
        states = [TokenState(s, world.token(s), world_spec.DECIMALS[s], FEED[s], holdings[s]) for s in symbols]
        if rng.random() < 0.8 or "WETH" not in holdings or "USDC" not in holdings:
            cuts = sorted(rng.sample(range(1, 100), len(symbols) - 1))
            pcts = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
            target = {s: p * 100 for s, p in zip(symbols, pcts, strict=True)}
            intent, _ = ib.weights_intent(acct.address, states, target, 50, 150, 30, valid_to, 1)
        else:
            num = next(s for s in states if s.symbol == "USDC")
            und = next(s for s in states if s.symbol == "WETH")
            held = und.balance / 10**18
            band = ib.hedge_band(-(held + rng.uniform(-8, 8)), und.balance, 18, 0.0, 2.0)
            intent = ib.hedge_intent(acct.address, num, und, band, 150, 30, valid_to, 1)
        out.append(sign_intent(intent, acct.key, world.chain_id, settlement))
    return out


def auction(world: World, signed: list, users) -> Auction:
    from routing.chain import snapshot

    w3 = world.web3()
    block = int(w3.eth.block_number)
    tokens = {world.token(s): Token(world.token(s), s, world_spec.DECIMALS[s],
                                    usd_price_from_feed(FEED[s], world_spec.DECIMALS[s])) for s in world_spec.DECIMALS}
    balances = {acct.address: {world.token(s): holdings.get(s, 0) for s in world_spec.DECIMALS} for acct, holdings in users}
    liquidity = snapshot(w3, world.deployment, block)
    settlement = world.settlement
    batch = tuple(BatchIntent(s.intent.intent_id(world.chain_id, settlement), s) for s in signed)
    return Auction(1, world.chain_id, settlement, block, int((time.time() + DEADLINE_S) * 1000), tokens, batch,
                   balances, liquidity, 1_000_000_000,
                   usd_price_from_feed(FEED[world.deployment.native], NATIVE_DECIMALS))


def to_batch(a: Auction, solution):
    rows = [(a.intent(e.intent_id).intent.as_tuple(), int(a.intent(e.intent_id).signed.scheme),
             a.intent(e.intent_id).signed.signature, e.flows) for e in solution.executions]
    return make_batch(solution.prices, rows, solution.interactions)


def run(size: int, world: World) -> dict:
    rng = random.Random(size)
    w3 = world.web3()
    snap = w3.provider.make_request("evm_snapshot", [])["result"]
    try:
        users = make_users_fast(world, size, rng)
        signed = intents_for(world, users, rng)
        a = auction(world, signed, users)
        row: dict = {"intents": len(signed)}
        t = time.perf_counter()
        milp = Milp().solve(a, world.solvers[0].address)
        row["solve_s"] = time.perf_counter() - t
        t = time.perf_counter()
        base = Baseline().solve(a, world.solvers[0].address)
        row["baseline_solve_s"] = time.perf_counter() - t
        timings = milp.stats["timings"]
        settlement = Settlement(w3, a.settlement)
        batch = to_batch(a, milp)
        row.update(timings)
        row["settled"] = len(milp.executions)
        row["baseline_settled"] = len(base.executions)
        row["matched_share"] = milp.stats["matched_share"]
        row["value_vs_baseline"] = milp.score_e18 / base.score_e18 if base.score_e18 > 0 else float("inf")
        row["milp_score_usd"] = milp.score_e18 / 1e18
        row["baseline_score_usd"] = base.score_e18 / 1e18
        row["calldata_kb"] = len(batch.calldata()) / 1024
        row.update(bound_of(a, milp))  # skipped or loosened for the deadline: computed after it
        row.update(versus_alone(a, milp, world.solvers[0].address, row["bound_usd"]) if size <= ALONE_UP_TO else {})
        if size <= SAMPLED_UP_TO:
            row["sampled_uniform_usd"] = sampled_prices(a, random.Random(size + 1))
        if size <= REFERENCE_UP_TO:
            row.update(reference_grid(a))
        row["previous"] = PREVIOUS.get(size, {})
        if row["calldata_kb"] > MAX_CALLDATA_KB:
            row.update(simulate_s=float("nan"), settle_s=float("nan"), gas_per_intent=float("nan"), gas_total=0)
            return row
        t = time.perf_counter()
        settlement.call(world.solvers[0].address, batch, a.block)
        row["simulate_s"] = time.perf_counter() - t
        t = time.perf_counter()
        receipt = settlement.settle(world.solvers[0].address, batch)
        row["settle_s"] = time.perf_counter() - t
        row["gas_per_intent"] = receipt["gasUsed"] / max(1, len(milp.executions))
        row["gas_total"] = receipt["gasUsed"]
        return row
    finally:
        w3.provider.make_request("evm_revert", [snap])


def versus_alone(a: Auction, milp, solver: str, bound: float) -> dict:
    """Score and cost of each settled intent routed alone with the best split router (the milp
    strategy on a one-intent auction), and what the batch saved against them."""
    from dataclasses import replace

    from solver.errors import NoSolution
    from solver.savings import cost_usd

    alone_score = alone_cost = 0.0
    unsettled = 0
    t = time.perf_counter()
    for e in milp.executions:
        single = replace(a, intents=(a.intent(e.intent_id),), deadline_ms=int((time.time() + DEADLINE_S) * 1000))
        try:
            s = Milp(with_bound=False).solve(single, solver)
        except NoSolution:
            unsettled += 1
            continue
        alone_score += s.score_e18 / 1e18
        alone_cost += cost_usd(single, s)
    out = {"alone_score_usd": alone_score, "alone_cost_usd": alone_cost, "alone_unsettled": unsettled,
           "batch_cost_usd": cost_usd(a, milp), "alone_s": time.perf_counter() - t}
    out["saving_usd"] = milp.score_e18 / 1e18 - alone_score
    for key, value in (("bound", bound), ("fixed", fixed_price(a))):
        if value is not None:
            out[f"{key}_usd"] = value
            out[f"{key}_saving_usd"] = value - alone_score
            out[f"share_of_{key}_saving"] = (out["saving_usd"] / out[f"{key}_saving_usd"]
                                             if out[f"{key}_saving_usd"] > 0 else float("nan"))
    return out


def _users(a: Auction) -> list:
    from solver import joint

    prices = a.reference_prices()
    intents = {bi.id: bi.intent for bi in a.intents if all(t in prices for t in bi.intent.tokens)}
    return joint.joint_intents(list(intents), intents, a.balances, prices, lambda _: 0)


def bound_of(a: Auction, milp) -> dict:
    """keel's joint bound for the table. Up to ALONE_UP_TO intents, computed by the bench after the
    round (it may spend what a round cannot): the wash-free Lagrangian bound (LAGRANGE_S seconds of
    column generation) and the mixture program with the price box and the washes split for
    REFINE_S seconds; keel's bound is the smallest of those, the round's own bound and the
    Lagrangian at the reference duals (the previous bound) — each bounds every settlement. On the largest batch: the tightest of the round's own bound and the
    Lagrangian computed after the round (the mixture program would take minutes there)."""
    from solver import joint_bound, joint_mixture

    out: dict = {"bound_kind": milp.stats.get("joint_bound", ""), "round_bound_usd": milp.stats.get("joint_bound_usd")}
    t = time.perf_counter()
    if len(a.intents) <= ALONE_UP_TO:
        decomposed = joint_mixture.mixture_bound(_users(a), a.liquidity, a.reference_prices(), lagrange_s=LAGRANGE_S,
                                                 halves=True)
        out.update(wash_free_usd=decomposed.bound_usd, wash_free=decomposed.lagrange, wash_free_halves=decomposed.halves,
                   wash_free_s=time.perf_counter() - t)
        t = time.perf_counter()
        mixture = joint_mixture.mixture_bound(_users(a), a.liquidity, a.reference_prices(), refine_s=REFINE_S)
        out.update(bound_usd=mixture.bound_usd, branch_usd=mixture.bound_usd, boxes=mixture.boxes,
                   bound_after_s=time.perf_counter() - t,
                   lagrangian_usd=joint_bound.priced_bound(_users(a), a.liquidity, a.reference_prices())[0])
        # every one bounds every settlement, so keel's bound is the smallest of them
        out["bound_usd"] = min(out["bound_usd"], out["wash_free_usd"], out["lagrangian_usd"],
                               out["round_bound_usd"] or math.inf)
    else:  # every kind is a bound: the tightest of the round's own and the Lagrangian after it
        lagrangian = joint_bound.priced_bound(_users(a), a.liquidity, a.reference_prices())[0]
        out.update(bound_usd=min(lagrangian, out["round_bound_usd"] or lagrangian), bound_after_s=time.perf_counter() - t,
                   lagrangian_usd=lagrangian)
    return out


def reference_grid(a: Auction) -> dict:
    """The independent fixed-price program (`bench.joint_reference`, Clarabel) at 5 prices per token
    of the signed price box (`GRID`, the bench's ±1.5% band pulled in a hair): at each, a net-sells
    solution (`net_fixed_price_usd`: every token one way, as a settlement trades it), whose best must
    lie under keel's bound, and the gross-sells program's optimum (sells and buys of one token at
    once, which the bound's branching on washes rightly leaves out: it may lie above the bound)."""
    import itertools

    from bench.joint_reference import fixed_price_usd, net_fixed_price_usd

    prices = a.reference_prices()
    intents = {bi.id: bi.intent for bi in a.intents if all(t in prices for t in bi.intent.tokens)}
    others = sorted(t for t, tok in a.tokens.items() if tok.symbol != "USDC")
    best = gross = -float("inf")
    t = time.perf_counter()
    for point in itertools.product(GRID, repeat=len(others)):
        relative = dict(zip(others, point, strict=True))
        best = max(best, net_fixed_price_usd(intents, a.balances, a.liquidity, prices, relative))
        gross = max(gross, fixed_price_usd(intents, a.balances, a.liquidity, prices, relative))
    return {"reference_grid_usd": best, "reference_gross_usd": gross, "reference_points": len(GRID) ** len(others),
            "reference_grid_s": time.perf_counter() - t}


def fixed_price(a: Auction) -> float:
    """The fixed-price relaxation at the reference prices (not a bound over other prices)."""
    from solver import joint

    return joint.solve(_users(a), a.liquidity, a.reference_prices(), joint.FIXED_PRICE).objective_usd


def sampled_prices(a: Auction, rng: random.Random) -> float:
    """A net-sells solution of the fixed-price relaxation (`joint_branch.net_fixed_price`: every
    token one way, as a settlement trades it) at PRICE_SAMPLES uniform clearing price vectors inside
    every intent's signed bounds (each token within ±1.5% of its reference price against USDC, the
    bench's signed band) and at the box's corners (`GRID`'s ends), where the relaxation peaks: the
    best found. With the balances bands the bound keeps (`net_fixed_price` says why they matter).
    Evidence keel's bound is not beaten by some uniform price vector (the bound is proven for any
    prices; this samples them)."""
    import itertools

    from solver import joint_branch

    prices = a.reference_prices()
    users = _users(a)
    others = sorted(t for t, tok in a.tokens.items() if tok.symbol != "USDC")
    points = [{t: 1 + rng.uniform(-0.0149, 0.0149) for t in others} for _ in range(PRICE_SAMPLES)]
    points += [dict(zip(others, corner, strict=True)) for corner in itertools.product((GRID[0], GRID[-1]),
                                                                                       repeat=len(others))]
    best = 0.0
    for relative in points:
        best = max(best, joint_branch.net_fixed_price(users, a.liquidity, prices, relative))
    return best


def make_users_fast(world: World, count: int, rng: random.Random):
    from bench import crowd  # crowd imports this module's storage slots

    def draw(r: random.Random) -> dict[str, int]:  # each world token with probability 0.8, $1k-$200k
        holdings = {}
        for symbol in world_spec.DECIMALS:
            if r.random() < 0.8:
                holdings[symbol] = int(r.uniform(1_000, 200_000) / world_spec.USD_PRICE[symbol]
                                       * 10 ** world_spec.DECIMALS[symbol])
        return holdings

    return crowd.fund(world, count, rng, label="bench", draw=draw)


def _share(r: dict, key: str) -> str:
    """The saving's share of `key`'s saving; where that saving is not positive batching cannot
    save on this batch, and a share of it means nothing: the gap to it instead."""
    if r[f"{key}_saving_usd"] > 0:
        return f"share {r[f'share_of_{key}_saving']:.2%}"
    return f"no saving to share (batching cannot save here): keel ${r[f'{key}_usd'] - r['milp_score_usd']:,.2f} under it"


def main() -> None:
    parser = argparse.ArgumentParser(description="One auction round per batch size over the world, milp vs baseline.")
    parser.add_argument("sizes", nargs="*", type=int, metavar="USERS",
                        help=f"batch sizes in users (default {', '.join(map(str, SIZES))}); fewer make a quicker run")
    sizes = parser.parse_args().sizes or list(SIZES)
    rows = []
    with chain_mod.running(fork_args=("--disable-block-gas-limit",)) as handle:
        world = handle.world()
        for size in sizes:
            console.print(f"[bold]auction of {size} intents…")
            rows.append(run(size, world))
    table = Table(title=f"auction round (deadline {DEADLINE_S:.0f} s)")
    cols = ["intents", "settled", "baseline_settled", "translate_s", "joint_s", "reprice_s", "net_and_clear_s", "route_s",
            "bound_s", "solve_s",
            "simulate_s", "settle_s", "gas_per_intent", "calldata_kb", "matched_share", "value_vs_baseline"]
    for c in cols:
        table.add_column(c, justify="right")
    for r in rows:
        table.add_row(*(f"{r[c]:.3f}" if isinstance(r[c], float) else str(r[c]) for c in cols))
    Console(width=220).print(table)
    for r in rows:
        prev = r.get("previous", {})
        print(f"{r['intents']} intents: settled {r['settled']} (previous {prev.get('settled', '?')}); "
              f"score ${r['milp_score_usd']:,.2f} (previous ${prev.get('score_usd', float('nan')):,.2f}); "
              f"keel's joint bound ${r['bound_usd']:,.2f} (gap ${r['bound_usd'] - r['milp_score_usd']:,.2f}; "
              + (f"mixture program, computed by the bench in {r['bound_after_s']:.0f} s with the price box split into "
                 f"{r['boxes']} leaves (boxes and washes)" if r.get("boxes", 1) > 1 else
                 f"mixture program, computed by the bench in {r['bound_after_s']:.0f} s (splitting the price box did not "
                 f"tighten it)" if "boxes" in r
                 else f"the tightest of the round's own and the Lagrangian computed after the round in "
                 f"{r['bound_after_s']:.1f} s")
              + f"; the round's: {r['bound_kind'] or 'none'}"
              + (f" ${r['round_bound_usd']:,.2f}" if r.get("round_bound_usd") else "")
              + (f"; previous bound, the Lagrangian at the reference duals, ${r['lagrangian_usd']:,.2f}"
                 if "lagrangian_usd" in r else "") + ")"
              + (f"; the smallest of the valid bounds: branch and bound ${r['branch_usd']:,.2f}, "
                 f"wash-free Lagrangian ${r['wash_free_usd']:,.2f}" if "wash_free_usd" in r else "")
              + (f"; best of {PRICE_SAMPLES} sampled uniform clearing prices and the box's corners (net sells) ${r['sampled_uniform_usd']:,.2f}"
                 f" ({'under' if r['sampled_uniform_usd'] <= r['bound_usd'] else 'OVER'} the bound)"
                 if "sampled_uniform_usd" in r else "")
              + (f"; independent fixed-price program (Clarabel) at {r['reference_points']} prices of the box, best net-sells "
                 f"solution ${r['reference_grid_usd']:,.2f} ({'under' if r['reference_grid_usd'] <= r['bound_usd'] else 'OVER'}"
                 f" the bound), gross-sells optimum ${r['reference_gross_usd']:,.2f}; {r['reference_grid_s']:.1f} s)"
                 if "reference_grid_usd" in r else ""))
        if r.get("wash_free") is not None:
            w = r["wash_free"]
            print(f"    wash-free Lagrangian bound (solver.joint_lagrange), prices-inside case: root mixture program "
                  f"${w.program_usd:,.2f} (blocks' own rows at its duals ${w.exact_usd:,.2f}); wash-free blocks at "
                  f"its duals ${w.at_duals_usd:,.2f} ({w.washing} users' blocks washed; {w.times.get('split_s', 0.0):.1f} + "
                  f"{w.times.get('at_duals_s', 0.0):.1f} s); after {w.rounds} rounds of column generation ${w.bound_usd:,.2f} "
                  f"({w.times.get('improve_s', 0.0):.0f} s); the box's halves, each its own program and decomposition, "
                  f"{' and '.join(f'${v:,.2f}' for v in r['wash_free_halves']) or 'none'}; "
                  f"with the other cases ${r['wash_free_usd']:,.2f} "
                  f"in {r['wash_free_s']:.0f} s")
        if "alone_score_usd" in r:
            print(f"    vs best-split-alone ${r['alone_score_usd']:,.2f}: saving ${r['saving_usd']:,.2f} "
                  f"(previous ${prev.get('saving_usd', float('nan')):,.2f}; cost ${r['batch_cost_usd']:,.2f} batch vs "
                  f"${r['alone_cost_usd']:,.2f} alone, {r['alone_unsettled']} unsettled alone); "
                  f"bound's saving ${r['bound_saving_usd']:,.2f} -> {_share(r, 'bound')}; "
                  f"fixed-price relaxation's saving ${r['fixed_saving_usd']:,.2f} -> {_share(r, 'fixed')}")
    for r in rows:
        ok = "within" if r["solve_s"] < DEADLINE_S else "OVER"
        print(f"{r['intents']} intents: milp solved in {r['solve_s']:.2f} s ({ok} the {DEADLINE_S:.0f} s deadline); "
              f"milp user value / baseline = {r['value_vs_baseline']:.2f} "
              f"(${r['milp_score_usd']:,.0f} vs ${r['baseline_score_usd']:,.0f}); "
              f"{r['matched_share']:.0%} of volume matched internally; "
              + (f"{r['gas_per_intent']:,.0f} gas per intent ({r['gas_total']:,} in all)" if r["gas_total"] else
                 f"not sent: {r['calldata_kb']:,.0f} KB of calldata is past what any chain accepts in one transaction"))


if __name__ == "__main__":
    main()
