"""Score: the surplus each executed trade gives its user over the worst they signed for, less gas once.

Definition (docs/scoring.md has a worked example). For each execution, at the auction's
reference prices p and the solution's clearing prices P, all values USD × 1e18:

- distance D(b) of a portfolio b from the owner's target: for a weights intent, the value
  that must be sold to reach the target weights, Σ_i max(0, v_i − t_i·V); for a balances
  (hedge) intent, Σ_i |b_i − c_i|·p_i over the tokens with a finite band, c_i its centre;
- progress = D(before) − D(after), after = before + flows — but never more than the progress
  the owner's real end balances show (before + the flows of all its executions in the batch), so
  an owner's two intents trading with each other earn nothing;
- if progress ≤ 0 the execution did no work: it contributes min(0, −cost) — nothing for a
  phantom (empty flows), a loss for a trade that costs the owner value;
- else it contributes allowance − cost, where
  allowance = min(given, progress) · (maxFeeBps + signed price band bps) / 10 000 — the
  worst the user accepted on the part of the trade that moved them toward the target
  (CoW Protocol's limit-price surplus, adapted: an outcome intent has no fixed amount, so
  the amount is the useful part of the executed trade), and
  cost = Σ −q·p: value the owner gave minus value received, both at *reference* prices,
  counted in full. The clearing prices P never enter the score: a "fee" valued at P is
  paper the settlement does not keep, so a price skewed in the solver's favour can only
  lower the user's flows and so the score.
- fees = min(Σ max(0, cost), gas · gasPrice): what the users paid, credited only up to the
  gas it pays for (CIP-20's surplus + fees − gas cost, with gas counted once); a fee past
  the gas is the user's loss and never credited back.
- score = Σ contributions + fees − gas · gasPrice, valued through the auction's native-token
  price (`Auction.native_price`, never a token looked up by symbol: gas is never free).

So a phantom execution adds nothing (and its gas counts against it), stopping at the band's
edge earns less than reaching the target, over-trading past the target earns nothing for
the excess and pays for it in price, and no price or fee raises a score: every unit of
value taken from a user lowers Σ contributions by that unit and raises `fees` by at most
that unit. All values are `keel.units.UsdValue`s (USD × 1e18); integer arithmetic, rounded
down as `keel.units` says.
"""

from __future__ import annotations

from intents.model import Intent, IntentKind
from keel.units import BPS, UsdValue, bound_price, gas_cost, to_usd_value, usd_value
from solver.domain import Auction, Execution, Solution

UNBOUNDED = 2**200  # a balance bound past this is "no bound" (the CLI signs uint256 max)


def band_bps(intent: Intent, prices: dict[str, int]) -> int:
    """Mean half-width of the intent's signed price bounds, in bps of the reference price."""
    numeraire = prices[intent.tokens[0]]
    widths = []
    for token, lo, hi in zip(intent.tokens[1:], intent.min_price[1:], intent.max_price[1:], strict=True):
        ref = bound_price(prices[token], numeraire)
        if ref <= 0:
            continue
        widths.append(min((hi - lo) * BPS // (2 * ref), BPS))
    return sum(widths) // len(widths) if widths else 0


def distance_e18(intent: Intent, balances: dict[str, int], prices: dict[str, int]) -> int:
    """How far `balances` are from the intent's target, as value that must move (USD × 1e18)."""
    if intent.kind == IntentKind.WEIGHTS:
        values = [usd_value(max(0, balances.get(t, 0)), prices[t]) for t in intent.tokens]
        total = sum(values)
        return sum(max(0, v - total * w // BPS) for v, w in zip(values, intent.target_weight_bps, strict=True))
    out = 0
    for token, lo, hi in zip(intent.tokens, intent.min_balance, intent.max_balance, strict=True):
        if hi >= UNBOUNDED:
            continue
        out += usd_value(abs(balances.get(token, 0) - (lo + hi) // 2), prices[token])
    return out


def given_e18(flows: dict[str, int], prices: dict[str, int]) -> int:
    """Value the owner gives (the negative flows) at `prices`."""
    return sum(usd_value(-q, prices[t]) for t, q in flows.items() if q < 0)


def cost_e18(flows: dict[str, int], prices: dict[str, int]) -> UsdValue:
    """Value given minus value received at `prices` (≥ 0 for a fee-paying execution), rounded down."""
    return to_usd_value(-sum(q * prices[t] for t, q in flows.items()))


def progress_e18(auction: Auction, execution: Execution, owner_flows: dict[str, int] | None = None) -> int:
    """D(before) − D(after) for the execution's owner: > 0 when it moved them toward the target.
    With `owner_flows` (the sum of every execution of that owner in the solution), the lesser of
    the progress of the execution's own flows and of the owner's real end balances."""
    intent = auction.intent(execution.intent_id).intent
    prices = auction.reference_prices()
    before = auction.balances.get(intent.owner, {})
    after = {t: before.get(t, 0) + execution.flows.get(t, 0) for t in intent.tokens}
    own = distance_e18(intent, before, prices) - distance_e18(intent, after, prices)
    if owner_flows is None:
        return own
    end = {t: before.get(t, 0) + owner_flows.get(t, 0) for t in intent.tokens}
    return min(own, distance_e18(intent, before, prices) - distance_e18(intent, end, prices))


def flows_by_owner(auction: Auction, solution: Solution) -> dict[str, dict[str, int]]:
    """Each owner's flows summed over its executions in `solution`."""
    out: dict[str, dict[str, int]] = {}
    for e in solution.executions:
        mine = out.setdefault(auction.intent(e.intent_id).intent.owner, {})
        for t, q in e.flows.items():
            mine[t] = mine.get(t, 0) + q
    return out


def contribution_e18(auction: Auction, solution: Solution, execution: Execution,
                     by_owner: dict[str, dict[str, int]] | None = None) -> int:
    """One execution's surplus over the worst its user accepted, all at reference prices (see the
    module docstring); `solution.prices` are deliberately unused. Progress counts only what the
    owner's end balances show (`progress_e18` with the owner's summed flows): an owner's two
    intents trading with each other leave its balances where they were and earn nothing.
    `by_owner` is `flows_by_owner(auction, solution)`, computed here when not given."""
    prices = auction.reference_prices()
    cost = cost_e18(execution.flows, prices)
    owner = auction.intent(execution.intent_id).intent.owner
    owners = flows_by_owner(auction, solution) if by_owner is None else by_owner
    progress = progress_e18(auction, execution, owners.get(owner, execution.flows))
    if progress <= 0:
        return min(0, -cost)
    intent = auction.intent(execution.intent_id).intent
    useful = min(given_e18(execution.flows, prices), progress)
    return useful * (intent.max_fee_bps + band_bps(intent, prices)) // BPS - cost


def fees_e18(auction: Auction, solution: Solution, gas_usd: int) -> int:
    """What the users paid at reference prices, credited only up to the gas it pays for."""
    prices = auction.reference_prices()
    paid = sum(max(0, cost_e18(e.flows, prices)) for e in solution.executions)
    return min(paid, max(0, gas_usd))


def gas_cost_e18(auction: Auction, gas: int) -> UsdValue:
    """What `gas` units cost at the auction's gas price, the native token at its own price."""
    return gas_cost(gas, auction.gas_price_wei, auction.native_price)


def score(auction: Auction, solution: Solution, gas: int) -> int:
    """The auctioneer's score of `solution` if it costs `gas`; never trusts the solver's own number."""
    by_owner = flows_by_owner(auction, solution)
    total = sum(contribution_e18(auction, solution, e, by_owner) for e in solution.executions)
    gas_usd = gas_cost_e18(auction, gas)
    return total + fees_e18(auction, solution, gas_usd) - gas_usd
