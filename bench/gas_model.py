"""Bench (and calibration): keel's gas model against the gas real settlements use.

Settles batches of random weights and hedge intents (funded users from `bench/crowd.py`,
solved by the `milp` strategy, so netting and a few pool swaps) of several sizes and token
counts on the fork, and for each prints the receipt's gasUsed, `solver.gas_model`'s
estimate and the error; then fits the model's constants to these batches by least squares
(calldata and the 21k intrinsic are exact and not fitted) and prints them, ready to paste
into `solver/gas_model.py`, with each batch's error under the fit.

With `--against REV` it also settles the same batches on revision REV's contracts, in the same
run: REV's own tree (`git archive`, into a temporary directory that shares this tree's
node_modules and forked world) runs its own `bench/gas_model.py` with the same sizes and seed —
the same funded users and intents — and each batch prints its gas there and here and the ratio
now / REV (issue 13: `--against ce7b296`, the contract before the netting, must give ≤ 1.000 on
every batch). REV's solver solves REV's batches: the ratio compares the same work only while
the two revisions' solvers give the same solutions (true from ce7b296 to 54de0fb; main's later
clearing changes move some batches' flows, which a batch's shape does not reveal — measure the
contract change on a tree whose solver matches REV's).

Run after any change to contracts/src:
    .venv/bin/python bench/gas_model.py [--sizes 10,40,120,300] [--seed 1] [--against REV]
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import crowd
from bench.auction import auction, to_batch
from contracts import chain as chain_mod
from contracts.settlement import Settlement
from contracts.world import World
from solver import gas_model
from solver.strategies.milp import Milp

# token sets per batch kind: two-token intents, four-token intents, and the random mix
KINDS: dict[str, tuple[str, ...] | None] = {"2 tokens": ("USDC", "WETH"), "4 tokens": ("USDC", "WETH", "WBTC", "DAI"),
                                            "mixed": None}


def shape_of(auction_: Any, solution: Any) -> gas_model.SettlementShape:
    """The gas model's view of the settle() transaction `solution` becomes."""
    data = to_batch(auction_, solution).calldata()
    tokens = tuple(len(auction_.intent(e.intent_id).intent.tokens) for e in solution.executions)
    return gas_model.SettlementShape(data, tokens, tuple(i.call_data for i in solution.interactions))


def measure(world: World, size: int, symbols: tuple[str, ...] | None, seed: int) -> tuple[gas_model.SettlementShape, int]:
    """Settle one milp batch of `size` fresh intents; (its shape, the receipt's gasUsed). State is reverted."""
    w3 = world.web3()
    snap = w3.provider.make_request("evm_snapshot", [])["result"]
    try:
        rng = random.Random(seed * 1_000 + size)
        users = crowd.fund(world, size, rng, symbols, label=f"gas-{seed}-{size}-{len(symbols or ())}")
        signed = crowd.sign_intents(world, users, rng)
        a = auction(world, signed, users)
        solution = Milp().solve(a, world.solvers[0].address)
        receipt = Settlement(w3, a.settlement).settle(world.solvers[0].address, to_batch(a, solution))
        return shape_of(a, solution), int(receipt["gasUsed"])
    finally:
        w3.provider.make_request("evm_revert", [snap])


def fit(samples: list[tuple[gas_model.SettlementShape, int]]) -> dict[str, int]:
    """Constants for `gas_model.FITTED` minimising the squared *relative* error of each batch's
    gasUsed (rows scaled by 1/gasUsed: a 2-execution batch weighs as much as a 300-execution one)."""
    import numpy as np

    x = np.array([gas_model.features(s) for s, _ in samples], dtype=float)
    y = np.array([used - gas_model.fixed_gas(s) for s, used in samples], dtype=float)
    weight = 1 / np.array([used for _, used in samples], dtype=float)
    x, y = x * weight[:, None], y * weight
    used_columns = [j for j in range(x.shape[1]) if x[:, j].any()]  # a batch set with no V2 swap cannot fit it
    coef, *_ = np.linalg.lstsq(x[:, used_columns], y, rcond=None)
    current = {name: getattr(gas_model, name) for name in gas_model.FITTED}
    return {**current, **{gas_model.FITTED[j]: round(float(c)) for j, c in zip(used_columns, coef, strict=True)}}


def estimate_with(constants: dict[str, int], shape: gas_model.SettlementShape) -> int:
    return gas_model.fixed_gas(shape) + sum(c * constants[n] for c, n in zip(gas_model.features(shape),
                                                                              gas_model.FITTED, strict=True))


REPO = Path(__file__).resolve().parent.parent
MEASURED = re.compile(r"measured\s+(.+?) ×\s*(\d+): (\d+) executions, (\d+) interactions, .*, ([\d,]+) gas$")


def measured_at(rev: str, sizes: list[int], seed: int) -> dict[tuple[str, int], tuple[int, int, int]]:
    """(executions, interactions, gasUsed) per (kind, size) of the same batches settled by
    revision `rev`'s contracts (its own bench, run from a `git archive` of it; the lines it
    prints as it measures). Its solver is `rev`'s too: `print_against` marks a batch whose
    shape differs from this run's."""
    with tempfile.TemporaryDirectory(prefix="keel-gas-") as tmp:
        tree = Path(tmp)
        archive = subprocess.run(["git", "-C", str(REPO), "archive", rev], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
        (tree / "node_modules").symlink_to(REPO / "node_modules")
        shutil.copytree(REPO / "build" / "world", tree / "build" / "world")
        run = subprocess.run([sys.executable, "bench/gas_model.py", "--sizes", ",".join(map(str, sizes)),
                              "--seed", str(seed)], cwd=tree, capture_output=True, text=True, check=True)
    out = {}
    for line in run.stderr.splitlines():
        if m := MEASURED.match(line.strip()):
            out[(m.group(1).strip(), int(m.group(2)))] = (int(m.group(3)), int(m.group(4)),
                                                          int(m.group(5).replace(",", "")))
    return out


def print_against(rev: str, before: dict[tuple[str, int], tuple[int, int, int]],
                  samples: list[tuple[str, int, gas_model.SettlementShape, int]]) -> None:
    """Each batch's gas on `rev` and now, and the ratio (marked when `rev`'s solver made a batch
    of another shape: then it is not the same work); then the worst ratio."""
    print(f"{'batch':>16} {rev[:12]:>12} {'now':>12} {'now / ' + rev[:7]:>14}")
    ratios = []
    for kind, size, shape, used in samples:
        executions, interactions, then = before[(kind, size)]
        same = (executions, interactions) == (len(shape.execution_tokens), len(shape.interaction_calls))
        ratios.append(used / then)
        mark = "" if same else f"  (not the same batch: {executions} executions, {interactions} interactions there)"
        print(f"{kind + ' × ' + str(size):>16} {then:>12,} {used:>12,} {used / then:>14.4f}{mark}")
    print(f"worst now / {rev}: {max(ratios):.4f} (issue 13 asks ≤ 1.000 against the contract before the netting)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,40,120,300")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--against", metavar="REV", help="also settle the same batches on REV's contracts")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    before = measured_at(args.against, sizes, args.seed) if args.against else None
    samples: list[tuple[str, int, gas_model.SettlementShape, int]] = []
    with chain_mod.running(fork_args=("--disable-block-gas-limit",)) as handle:
        world = handle.world()
        for kind, symbols in KINDS.items():
            for size in sizes:
                shape, used = measure(world, size, symbols, args.seed)
                samples.append((kind, size, shape, used))
                print(f"measured {kind:>8} × {size:>3}: {len(shape.execution_tokens)} executions, "
                      f"{len(shape.interaction_calls)} interactions, {len(shape.calldata):,} bytes, "
                      f"{used:,} gas", file=sys.stderr, flush=True)
    fitted = fit([(s, u) for _, _, s, u in samples])
    current = {name: getattr(gas_model, name) for name in gas_model.FITTED}
    print(f"{'batch':>16} {'executions':>10} {'bytes':>8} {'measured':>12} {'model':>12} {'error':>8} "
          f"{'refit':>12} {'error':>8}")
    for kind, size, shape, used in samples:
        now, new = estimate_with(current, shape), estimate_with(fitted, shape)
        print(f"{kind + ' × ' + str(size):>16} {len(shape.execution_tokens):>10} {len(shape.calldata):>8,} "
              f"{used:>12,} {now:>12,} {(now - used) / used:>+8.2%} {new:>12,} {(new - used) / used:>+8.2%}")
    worst = max(abs(estimate_with(current, s) - u) / u for _, _, s, u in samples)
    print(f"worst |model − measured| / measured: {worst:.2%} (the test holds ≤ 5%)")
    print("fitted constants (solver/gas_model.py):")
    for name in gas_model.FITTED:
        print(f"{name} = {fitted[name]:_}")
    if before is not None:
        print_against(args.against, before, samples)


if __name__ == "__main__":
    main()
