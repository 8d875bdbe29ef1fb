"""keel's joint bound without washes: Lagrangian decomposition of the mixture program, exact per-user blocks.

`solver.joint_mixture`'s program (case (i): every clearing price inside the box) counts each
user's `given` as gross sells, so a user may sell and buy one token at once (a *wash*, summed
over the copies) and claim allowance no settlement earns (`solver.joint_branch`). Washes are a
per-user nonconvexity, and users are coupled only through the per-copy token conservation rows
and the shared mixture weights mu. So the program is split into blocks — one per user (all its
columns in every copy, with its own copy mu_B of the weights, sum_v mu_B,v = 1) and one for the
pools (their columns and the shared mu) — linked by the conservation rows and by
mu_B,v - mu_v = 0. In HiGHS' minimising form, for multipliers pi >= 0 on the conservation rows
(each is `... >= 0`) and any sigma on the links,

    g(pi, sigma) = sum_B min_{x_B in X_B} [(c_B - A_B' pi) x_B - sigma_B . mu_B]
                   + min_{pools, mu} [(c_P - A_P' pi) x_P + sum_B sigma_B . mu]

is at most the minimum over every point whose blocks lie in the X_B and that satisfies the
coupling rows (weak duality: each dualised term is >= 0 there, or 0 for the links). With X_B
the block's own rows, and (pi, sigma) the mixture program's optimal duals (sigma_B,v read off
the reduced cost of mu_v: minus the block's rows' share of it), g equals the program's optimum
(`exact`, checked numerically). With X_B the block's **wash-free** part — the union, over the
user's tokens, of "sells it in no copy" or "buys it in no copy" — it is still a bound of every
settlement: a settlement's image (copy v carries mu_v times its flows; an execution's flow of a
token is one signed number) lies in that union. Each block's minimum over the union is exact by
a tiny branch and bound inside the block (split only a token the block's optimum washes; the
minimum over the leaves; at most 2^tokens leaves). -g, plus `joint.BOUND_SLACK`, is then a bound
of every settlement with prices inside the box, for *any* such (pi, sigma); keel keeps the best
over a few rounds of column generation (Dantzig-Wolfe: a master program whose user blocks are
convex combinations of their wash-free solutions found so far, its duals the next multipliers).
docs/scoring.md states the proof. Floats only inside. Pure: no web3, aiohttp, sqlite or subprocess.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from solver.joint import BOUND_SLACK

USER_COLUMN = re.compile(r"^(?:sell|buy|e|gift)_(\d+)_\d+$|^(?:a|settled)_(\d+)$")
POOL_COLUMN = re.compile(r"^[uy]_\d+$")
WASH = 1e-9  # units of S: a token both sold and bought above this, summed over the copies, is split in the block
BLOCK_TOLERANCE = 1e-10  # the blocks' feasibility tolerances: each block's error adds up over a hundred blocks
PENALTY = 10.0  # the master's price per unit of S for breaking a coupling row: far above any dual of the program
MAX_ROUNDS = 200  # column generation rounds, at most
STEP = 2e-4  # the box step: the master's conservation duals within this of the centre (they are ~1)
SIGMA_SCALE = 0.5  # the links' duals (~3e-4 on the bench batches) move within STEP x this
EXACT = 1e-6  # relative: the split at the program's duals must give the program's optimum this closely (1e-7 seen)
CONVERGED = 1e-8  # units of S: a round gaining less gains nothing; the master this close to g ends it
STALL = 20  # rounds without a gain after which column generation stops


@dataclass(frozen=True)
class LagrangeBound:
    bound_usd: float  # the best -g found plus BOUND_SLACK, USD: bounds every settlement with prices inside the box
    program_usd: float  # the mixture program's optimum (plus BOUND_SLACK), USD
    exact_usd: float  # -g at the program's duals with the blocks' own rows (equals program_usd: the check)
    at_duals_usd: float  # -g at the program's duals with wash-free blocks
    rounds: int  # column generation rounds run
    washing: int  # user blocks whose optimum washed at the program's duals
    times: dict[str, float] = field(default_factory=dict)
    history: tuple[float, ...] = ()  # the bound after each round, USD


@dataclass
class _Block:
    """One block's own program in its own HiGHS: its columns (global indices `cols`, local
    0..len-1), then its copy of mu (the pools' block: the global mu), its rows, sum mu = 1."""

    name: str
    cols: Any  # numpy int array
    rows: Any  # numpy int array: the global rows that are this block's
    mu_rows: Any  # CSR (rows x copies): those rows' coefficients on mu, for sigma at the program's duals
    h: Any
    upper: Any  # the local columns' upper bounds as built
    tokens: list[tuple[list[int], list[int]]]  # per token: local sell columns, local buy columns (every copy)


@dataclass
class _Split:
    """The mixture program split into blocks (`split`), minimising as HiGHS does."""

    scale: float
    copies: int
    mu0: int  # the first of the global mu columns
    cost: Any  # numpy: every global column's cost
    rows: Any  # the coupling rows' global indices
    coupling: Any  # CSR: the coupling rows over all global columns
    lower: Any  # the coupling rows' bounds
    upper: Any
    users: list[_Block]
    pools: _Block  # its mu columns are the global mu


def split(h: Any, stacked: Any) -> _Split:
    """Read the solved mixture program (`joint_mixture.mixture_case(keep=True).state`: HiGHS and
    its `_Stacked` layout) and split it into the users' blocks, the pools' block and the coupling rows."""
    import numpy as np
    from scipy.sparse import csc_matrix

    lp = h.getLp()
    n_col, n_row = lp.num_col_, lp.num_row_
    a = csc_matrix((np.array(lp.a_matrix_.value_), np.array(lp.a_matrix_.index_), np.array(lp.a_matrix_.start_)),
                   shape=(n_row, n_col)).tocsr()
    a.eliminate_zeros()
    copies, n = stacked.copies, stacked.n
    mu0 = copies * n
    base_owner = np.empty(n, dtype=np.int64)  # -1: pools, k >= 0: user k
    for j, name in enumerate(stacked.base.model.names):
        match = USER_COLUMN.match(name)
        if match:
            base_owner[j] = int(match.group(1) or match.group(2))
        elif POOL_COLUMN.match(name):
            base_owner[j] = -1
        else:
            raise ValueError(f"column {name}: neither a user's nor a pool's")
    owner = np.concatenate([np.tile(base_owner, copies), np.full(n_col - mu0, -2, dtype=np.int64)])
    lower, upper = np.array(lp.row_lower_), np.array(lp.row_upper_)
    col_upper = np.array(lp.col_upper_)
    if np.any(np.array(lp.col_lower_) != 0.0):
        raise ValueError("the mixture program's columns all start at 0")
    row_block = _row_blocks(a, owner, mu0)
    coupling = np.flatnonzero(row_block == -3)
    ids = list(stacked.base.cols)
    users = []
    for k, i in enumerate(ids):
        tokens = [([stacked.col(v, s) for v in range(copies)], [stacked.col(v, b) for v in range(copies)])
                  for s, b in stacked.base.cols[i].values()]
        users.append(_block(i, a, lower, upper, col_upper, np.flatnonzero(owner == k), np.flatnonzero(row_block == k),
                            mu0, copies, tokens))
    pools = _block("pools", a, lower, upper, col_upper, np.flatnonzero(owner == -1),
                   np.flatnonzero((row_block == -1) | (row_block == -2)), mu0, copies, [])
    return _Split(stacked.base.scale, copies, mu0, np.array(lp.col_cost_), coupling, a[coupling], lower[coupling],
                  upper[coupling], users, pools)


def _row_blocks(a: Any, owner: Any, mu0: int) -> Any:
    """Per row: the one block its non-mu columns belong to (-1: pools), -2 if it has none
    (sum mu = 1), -3 if several (a coupling row)."""
    import numpy as np

    out = np.empty(a.shape[0], dtype=np.int64)
    for r in range(a.shape[0]):
        cols = a.indices[a.indptr[r]:a.indptr[r + 1]]
        owners = set(owner[cols[cols < mu0]].tolist())
        out[r] = owners.pop() if len(owners) == 1 else -2 if not owners else -3
    return out


def _block(name: str, a: Any, lower: Any, upper: Any, col_upper: Any, cols: Any, rows: Any, mu0: int, copies: int,
           tokens: list[tuple[list[int], list[int]]]) -> _Block:
    """The block's program: its columns then mu, its rows; a user's block adds its own sum mu = 1
    (the pools' block has the program's)."""
    import highspy
    import numpy as np
    from scipy.sparse import csr_matrix, vstack

    sub = a[rows]
    width = len(cols) + copies
    local = sub[:, np.concatenate([cols, np.arange(mu0, mu0 + copies)])].tocsr()
    lo, up = lower[rows], upper[rows]
    if name != "pools":
        total = csr_matrix((np.ones(copies), (np.zeros(copies, dtype=np.int64), np.arange(len(cols), width))),
                           shape=(1, width))
        local = vstack([local, total]).tocsr()
        lo, up = np.append(lo, 1.0), np.append(up, 1.0)
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("primal_feasibility_tolerance", BLOCK_TOLERANCE)
    h.setOptionValue("dual_feasibility_tolerance", BLOCK_TOLERANCE)
    inf = highspy.kHighsInf
    col_up = np.minimum(np.concatenate([col_upper[cols], np.full(copies, inf)]), inf)
    h.addVars(width, np.zeros(width), col_up)
    h.addRows(local.shape[0], np.maximum(lo, -inf), np.minimum(up, inf), local.nnz,
              local.indptr[:-1].astype(np.int32), local.indices.astype(np.int32), local.data)
    where = {int(c): j for j, c in enumerate(cols)}
    return _Block(name, cols, rows, sub[:, mu0:mu0 + copies].tocsr(), h, col_up,
                  [([where[c] for c in s], [where[c] for c in b]) for s, b in tokens])


def program_duals(h: Any, parts: _Split) -> tuple[Any, Any]:
    """(pi, sigma) at the mixture program's optimum: pi the coupling rows' duals; sigma_B,v
    minus block B's rows' share of mu_v's reduced cost, so each block's own mu prices as the
    program's mu does (HiGHS: column dual = cost - A' row dual)."""
    import numpy as np

    duals = np.array(h.getSolution().row_dual)
    sigma = np.array([-(b.mu_rows.T @ duals[b.rows]) for b in parts.users]).reshape(len(parts.users), parts.copies)
    return duals[parts.rows], sigma


def dual_value(parts: _Split, pi: Any, sigma: Any, wash_free: bool) -> tuple[float, list[Any], list[float]]:
    """g(pi, sigma), units of S, minimising (the bound is -g); each block's minimiser (the users'
    in order, then the pools'); each user block's minimum.
    `pi` is first clamped to the signs its rows allow (a conservation row, `>= 0`: pi >= 0)."""
    import numpy as np

    pi = _signed(parts, pi)
    reduced = parts.cost - parts.coupling.T @ pi
    total = float(np.sum(np.where(pi > 0, pi * np.where(np.isfinite(parts.lower), parts.lower, 0.0), 0.0))
                  + np.sum(np.where(pi < 0, pi * np.where(np.isfinite(parts.upper), parts.upper, 0.0), 0.0)))
    points, values = [], []
    for k, b in enumerate(parts.users):
        value, x = (_wash_free if wash_free else _solve)(b, np.concatenate([reduced[b.cols], -sigma[k]]))
        values.append(value)
        points.append(x)
    value, x = _solve(parts.pools, np.concatenate([reduced[parts.pools.cols], _mu_cost(parts, reduced, sigma)]))
    return total + sum(values) + value, [*points, x], values


def _mu_cost(parts: _Split, reduced: Any, sigma: Any) -> Any:
    """The shared mu's cost in the pools' block: its own reduced cost (its cost less the coupling
    rows' share: 0 while those rows are homogeneous, as the perspective makes them) plus every
    user's link."""
    return reduced[parts.mu0:parts.mu0 + parts.copies] + sigma.sum(axis=0)


def pool_vertices(parts: _Split, pi: Any, sigma: Any) -> list[Any]:
    """The pools' block minimiser with all of mu on one vertex, for each vertex: columns for the
    master (the block's minimum is at one of them; the master mixes them as the program does)."""
    import numpy as np

    pools = parts.pools
    reduced = parts.cost - parts.coupling.T @ _signed(parts, pi)
    cost = np.concatenate([reduced[pools.cols], _mu_cost(parts, reduced, sigma)])
    n = len(pools.cols)
    out = []
    for v in range(parts.copies):
        others = [n + w for w in range(parts.copies) if w != v]
        try:
            out.append(_solve(pools, cost, others)[1])
        except BlockFailed:
            continue  # one column fewer for the master
    return out


def _signed(parts: _Split, pi: Any) -> Any:
    import numpy as np

    pi = np.array(pi, dtype=float)
    pi[(pi > 0) & ~np.isfinite(parts.lower)] = 0.0
    pi[(pi < 0) & ~np.isfinite(parts.upper)] = 0.0
    return pi


def _solve(block: _Block, cost: Any, fixed: list[int] | None = None) -> tuple[float, Any]:
    """The block's minimum at `cost` with the local columns `fixed` at 0 (-inf if unbounded).
    Every block and every part of one holds its zero point (no flows, mu on any vertex: the rows
    are homogeneous), so HiGHS calling one infeasible is a numerical failure, never a part to
    skip: skipping it could only raise the block's minimum, and the bound is -g."""
    import highspy
    import numpy as np

    h = block.h
    width = len(cost)
    h.changeColsCost(width, np.arange(width, dtype=np.int32), np.asarray(cost, dtype=float))
    up = block.upper.copy()
    if fixed:
        up[fixed] = 0.0
    h.changeColsBounds(width, np.arange(width, dtype=np.int32), np.zeros(width), up)
    h.run()
    status = h.getModelStatus()
    if status in (highspy.HighsModelStatus.kNotset, highspy.HighsModelStatus.kUnknown,
                  highspy.HighsModelStatus.kSolveError):
        # the tight tolerances failed: HiGHS' defaults, from scratch, this once
        h.setOptionValue("primal_feasibility_tolerance", 1e-7)
        h.setOptionValue("dual_feasibility_tolerance", 1e-7)
        h.clearSolver()
        h.run()
        status = h.getModelStatus()
        h.setOptionValue("primal_feasibility_tolerance", BLOCK_TOLERANCE)
        h.setOptionValue("dual_feasibility_tolerance", BLOCK_TOLERANCE)
    if status == highspy.HighsModelStatus.kOptimal:
        return float(h.getInfo().objective_function_value), np.array(h.getSolution().col_value)
    if status == highspy.HighsModelStatus.kUnbounded:
        return -math.inf, None
    raise BlockFailed(f"block {block.name}: {h.modelStatusToString(status)}")


class BlockFailed(ValueError):
    """HiGHS found no optimum of a block: no g at these multipliers."""


class MasterStopped(ValueError):
    """The column generation's master found no optimum in time: no next multipliers."""


def _wash_free(block: _Block, cost: Any) -> tuple[float, Any]:
    """The block's minimum over its wash-free part: each token sold in no copy or bought in no
    copy. Branch and bound: a part whose optimum washes token t splits into "t never bought" and
    "t never sold"; a part whose optimum washes nothing is exact; parts no lower than the best
    exact one are pruned. The minimum over the leaves (exact, or pruned above it) is the part's."""
    best, best_x = math.inf, None
    stack: list[list[int]] = [[]]  # each: the local columns fixed at 0
    while stack:
        fixed = stack.pop()
        value, x = _solve(block, cost, fixed)
        if value == -math.inf:
            return value, None
        if value >= best:
            continue
        none: tuple[float, list[int], list[int]] = (0.0, [], [])
        wash = max(((float(min(sum(x[s]), sum(x[b]))), s, b) for s, b in block.tokens), default=none,
                   key=lambda w: w[0])
        if wash[0] <= WASH:
            best, best_x = value, x
            continue
        stack += [fixed + wash[1], fixed + wash[2]]  # never sold; never bought
    return best, best_x


class _Master:
    """Dantzig-Wolfe master: each block (the users' and the pools') a convex combination of its
    points found so far (one column each: its cost, its share of the coupling rows, its mu), the
    coupling rows, and the links (each user's mu equal to the pools'). Its duals are the next
    multipliers; it is a guide only — the bound is always g at those multipliers."""

    def __init__(self, parts: _Split) -> None:
        import highspy
        import numpy as np

        self.parts = parts
        users, k = len(parts.users), parts.copies
        rows = len(parts.rows) + users * k + users + 1
        h = highspy.Highs()  # type: ignore[no-untyped-call]
        h.setOptionValue("output_flag", False)
        inf = highspy.kHighsInf
        lower = np.concatenate([np.maximum(parts.lower, -inf), np.zeros(users * k), np.ones(users + 1)])
        upper = np.concatenate([np.minimum(parts.upper, inf), np.zeros(users * k), np.ones(users + 1)])
        h.addRows(rows, lower, upper, 0, np.zeros(rows, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0))
        self.links = len(parts.rows)  # coupling rows, then links (user, copy), then convexity (users, pools)
        self.convex = self.links + users * k
        # two artificial columns per coupling row and link, +1 and -1: in the master's dual they
        # are a box around the centre (`centre`): y_r <= cost of +1 and y_r >= -cost of -1
        self.boxed = 0
        for r in range(self.convex):
            for sign in (1.0, -1.0):
                h.addCol(PENALTY, 0.0, inf, 1, np.array([r], dtype=np.int32), np.array([sign]))
        h.setOptionValue("solver", "simplex")
        self.h = h

    def centre(self, pi: Any, sigma: Any, step: float) -> None:
        """The master's duals kept within `step` (relative to the duals' scale) of (pi, sigma)."""
        import numpy as np

        y = np.concatenate([pi, sigma.ravel()])
        width = np.concatenate([np.full(len(pi), step), np.full(sigma.size, step * SIGMA_SCALE)])
        cost = np.ravel(np.column_stack([y + width, -(y - width)]))
        self.h.changeColsCost(len(cost), np.arange(self.boxed, self.boxed + len(cost), dtype=np.int32), cost)

    def add(self, k: int, x: Any) -> None:
        """Block k's point x (k = -1: the pools') as a column."""
        import highspy
        import numpy as np

        parts = self.parts
        b = parts.pools if k < 0 else parts.users[k]
        n, copies = len(b.cols), parts.copies
        flows = x[:n]
        coupling = parts.coupling[:, b.cols] @ flows
        cost = float(parts.cost[b.cols] @ flows)
        if k < 0:  # the shared mu's own cost and share of the coupling rows (0 while they are homogeneous)
            mu_cols = np.arange(parts.mu0, parts.mu0 + copies)
            coupling = coupling + parts.coupling[:, mu_cols] @ x[n:]
            cost += float(parts.cost[mu_cols] @ x[n:])
        nz = np.flatnonzero(np.abs(coupling) > 1e-15)
        if k < 0:  # the pools' mu is the one every user's links to
            links = self.links + np.arange(len(parts.users) * copies)
            mu = -np.tile(x[n:], len(parts.users))
            convex = self.convex + len(parts.users)
        else:
            links, mu, convex = self.links + k * copies + np.arange(copies), x[n:], self.convex + k
        rows = np.concatenate([nz, links, [convex]]).astype(np.int32)
        values = np.concatenate([coupling[nz], mu, [1.0]])
        self.h.addCol(cost, 0.0, highspy.kHighsInf, len(rows), rows, values)

    def duals(self, until: float) -> tuple[Any, Any, float]:
        """(pi, sigma, the master's optimum) after solving it by `until` (perf_counter); raises
        `MasterStopped` if it has no optimum by then (a degenerate master on a half of the
        100-user box ran past 20 minutes without this)."""
        import highspy
        import numpy as np

        left = until - time.perf_counter()
        if left <= 0:
            raise MasterStopped("out of time")
        # HiGHS counts its time limit over every run of this instance, not per run
        self.h.setOptionValue("time_limit", self.h.getRunTime() + left)
        self.h.run()
        status = self.h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise MasterStopped(self.h.modelStatusToString(status))
        y = np.array(self.h.getSolution().row_dual)
        k = self.parts.copies
        pi = y[:self.links]
        sigma = y[self.links:self.convex].reshape(len(self.parts.users), k)
        return pi, sigma, float(self.h.getInfo().objective_function_value)


def improve(parts: _Split, pi: Any, sigma: Any, points: list[Any], start: float, until: float,
            rounds: int = MAX_ROUNDS, step: float = STEP,
            seeds: Sequence[tuple[int, Any]] = ()) -> tuple[float, list[float], tuple[Any, Any]]:
    """Stabilised column generation (a box step) from (pi, sigma), whose g is `start`, with the
    wash-free points found there: each round the master's duals within a box around the best
    multipliers so far, g there, its blocks' points (and the pools' at each vertex) as new
    columns; the centre moves where g improves. Stops at `until` (perf_counter), after `rounds`,
    when the box's best is found, or when `STALL` rounds gained less than `CONVERGED` each.
    `seeds`: more (block, point) columns to start from (`program_points`). Returns the best g (the
    largest: minimising form), each round's g, and the best (pi, sigma)."""
    master = _Master(parts)
    for k, x in seeds:
        master.add(k, x)
    _add_points(master, points, parts, pi, sigma)
    best, centre, gained = start, (pi, sigma), 0
    history: list[float] = []
    for n in range(rounds):
        if time.perf_counter() >= until or n - gained >= STALL:
            break
        master.centre(*centre, step)
        try:
            pi, sigma, value = master.duals(until)
        except MasterStopped:
            break  # no next multipliers in time: the best g so far stands
        try:
            g, points, _ = dual_value(parts, pi, sigma, True)
        except BlockFailed:
            break  # no g here: the best so far stands
        history.append(g)
        if g > best:
            if g > best + CONVERGED:
                gained = n
            best, centre = g, (_signed(parts, pi), sigma)
        elif value - g <= CONVERGED:
            break  # the box's best is its centre: g is concave, so the centre is g's maximum
        _add_points(master, points, parts, pi, sigma)
    return best, history, centre


def program_points(h: Any, parts: _Split) -> list[tuple[int, Any]]:
    """The program's optimum cut into blocks, where it is a wash-free point of its block (every
    user that does not wash there, and the pools): columns that let the master start near it."""
    import numpy as np

    values = np.array(h.getSolution().col_value)
    mu = values[parts.mu0:parts.mu0 + parts.copies]
    out = [(-1, np.concatenate([values[parts.pools.cols], mu]))]
    for k, b in enumerate(parts.users):
        x = np.concatenate([values[b.cols], mu])
        if all(min(sum(x[s]), sum(x[t])) <= WASH for s, t in b.tokens):
            out.append((k, x))
    return out


def _add_points(master: _Master, points: list[Any], parts: _Split, pi: Any, sigma: Any) -> None:
    """Each block's minimiser at (pi, sigma) (`points`: the users' then the pools') and the
    pools' minimiser at each vertex, as the master's columns."""
    for k, x in enumerate(points):
        if x is not None:
            master.add(k if k < len(points) - 1 else -1, x)
    for x in pool_vertices(parts, pi, sigma):
        if x is not None:
            master.add(-1, x)


def lagrange_bound(h: Any, stacked: Any, until: float) -> LagrangeBound:
    """The wash-free Lagrangian bound of a solved mixture program (`mixture_case(keep=True).state`'s
    HiGHS and layout): at the program's duals, then improved by column generation until `until`
    (perf_counter). Never above the program's own bound (it is the same g with smaller blocks).
    The split must first give back the program's optimum at its duals with the blocks' own rows
    (`EXACT`); if it does not, or a block fails there, the program's own bound stands."""
    started = time.perf_counter()
    parts = split(h, stacked)
    pi, sigma = program_duals(h, parts)
    program = -float(h.getInfo().objective_function_value)

    def usd(g: float) -> float:
        return (-g + BOUND_SLACK) * parts.scale

    own = usd(-program)
    try:
        exact, _, lp_values = dual_value(parts, pi, sigma, False)
        split_s = time.perf_counter() - started
        if not abs(-exact - program) <= EXACT * max(abs(program), 1.0):
            raise BlockFailed(f"the split gives {-exact} at the program's duals, not its optimum {program}")
        at_duals, points, values = dual_value(parts, pi, sigma, True)
    except BlockFailed:  # no wash-free bound: the program's own
        return LagrangeBound(own, own, math.nan, math.nan, 0, 0, {"improve_s": time.perf_counter() - started})
    washing = sum(1 for a, b in zip(lp_values, values, strict=True) if b > a + CONVERGED)
    at_duals_s = time.perf_counter() - started - split_s
    best, history, _ = improve(parts, pi, sigma, points, at_duals, until, seeds=program_points(h, parts))
    return LagrangeBound(min(usd(best), own), own, usd(exact), usd(at_duals), len(history), washing,
                         {"split_s": split_s, "at_duals_s": at_duals_s,
                          "improve_s": time.perf_counter() - started - split_s - at_duals_s},
                         tuple(usd(g) for g in history))
