"""Checks at the door: what the CLI refuses before it asks for a password and signs.

An intent that can never settle is worse than none: the auction re-tries it every round.
- `valid_to_s(chain_s, wall_s, valid_s)`: validity is wall-clock time, whatever the chain's
  clock says. The orderbook expires intents by the wall clock and a chain mines its next block
  at (or after) the wall clock, so the window starts at max(chain, wall): a chain idle for an
  hour no longer eats the validity.
- `absurd(...)`: parameters no one means (0% slippage, a year of validity, a delta of 1e9):
  refused with a RefusedError (exit 5) unless `--yes`, in which case each is only a warning.
- `sell_checks(...)`: the owner holds what the preview sells and has let the relayer pull it;
  a refusal says the command that fixes it (`keel account fund`, `keel approve TOKEN`).
Pure functions: the caller reads balances and allowances and passes them in.
"""

from __future__ import annotations

from dataclasses import dataclass

from keel.errors import RefusedError

BPS = 10_000
MIN_SLIPPAGE_BPS = 5  # below the pools' own fee tiers nothing can settle
MAX_SLIPPAGE_BPS = 2_000
MIN_VALID_S = 30  # less than one auction round plus a block
MAX_VALID_S = 7 * 86_400
MAX_FEE_BPS = 500
MAX_DELTA_UNITS = 1e6


def valid_to_s(chain_s: int, wall_s: int, valid_s: int) -> int:
    """validTo (unix seconds, inclusive) for a window of `valid_s` starting now, by the later of the two clocks."""
    return max(chain_s, wall_s) + valid_s


def absurd(slippage_bps: int, valid_s: int, max_fee_bps: int, deltas: dict[str, float] | None = None) -> list[str]:
    """One sentence per parameter no one means; empty when all are plausible."""
    out = []
    if slippage_bps < MIN_SLIPPAGE_BPS:
        out.append(f"slippage: {slippage_bps / 100:g}% leaves no room for the pools' fees; nothing can settle "
                   f"(use at least {MIN_SLIPPAGE_BPS / 100:g}%)")
    elif slippage_bps > MAX_SLIPPAGE_BPS:
        out.append(f"slippage: {slippage_bps / 100:g}% lets a batch clear far from the oracle price")
    if valid_s < MIN_VALID_S:
        out.append(f"valid: {valid_s}s is shorter than one auction round")
    elif valid_s > MAX_VALID_S:
        out.append(f"valid: {valid_s // 86_400}d keeps a signed price bound alive for longer than a week")
    if max_fee_bps > MAX_FEE_BPS:
        out.append(f"max-fee: {max_fee_bps / 100:g}% of the value you give may go to the solver")
    for name, value in (deltas or {}).items():
        if abs(value) > MAX_DELTA_UNITS:
            out.append(f"{name}: {value:g} units of the underlying is more than any pool holds")
    return out


def refuse_absurd(reasons: list[str], yes: bool, warn: object) -> None:
    """Refuse the first absurd parameter (exit 5) unless `yes`; then each becomes a warning via `warn(str)`."""
    if not reasons:
        return
    if not yes:
        field = reasons[0].split(":", 1)[0]
        raise RefusedError(f"{reasons[0]}; pass --yes if you mean it", field)
    for r in reasons:
        warn(f"warning: {r}")  # type: ignore[operator]


@dataclass(frozen=True)
class Sell:
    """A token the intent's preview sells: how much, what the owner holds, what the relayer may pull (base units)."""

    symbol: str
    amount: int
    balance: int
    allowance: int
    decimals: int


def sell_checks(owner: str, sells: list[Sell]) -> None:
    """Refuse (exit 5) when the owner cannot deliver a sell: not held, or not approved to the relayer."""
    for s in sells:
        if s.amount <= 0:
            continue
        human = s.amount / 10**s.decimals
        if s.balance < s.amount:
            raise RefusedError(
                f"balance: {owner} holds {s.balance / 10**s.decimals:,.6g} {s.symbol}, the trade sells {human:,.6g}; "
                f"fund it (`keel account fund`) or change the target", "balance")
        if s.allowance < s.amount:
            raise RefusedError(
                f"allowance: keel's relayer may pull {s.allowance / 10**s.decimals:,.6g} {s.symbol} of {owner}, the "
                f"trade sells {human:,.6g}; run `keel approve {s.symbol}`", "allowance")
