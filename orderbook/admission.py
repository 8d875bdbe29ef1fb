"""Admission at submit, as CoW's orderbook does it: refuse what could never settle, before storing it.

- `check_funds(owner, tokens, funds)`: the owner must hold some of the intent's tokens
  (`InsufficientBalance`, naming the numeraire), and every intent token it holds must be
  approved to the relayer for at least that balance — the settlement pulls whatever the
  outcome needs through the relayer (`InsufficientAllowance`, naming the token).
- `check_open_cap(owner, live, cap)`: at most `cap` live intents per owner (`OwnerCapReached`,
  409), checked before any chain work; the store's `add(..., max_open_per_owner=cap)` checks
  it again atomically with the insert.
Pure: the balances and allowances are read by the caller (`intents.chain.make_funds_reader`).
"""

from __future__ import annotations

from collections.abc import Sequence

from intents.errors import IntentError, OwnerCapReached

DEFAULT_OPEN_CAP = 16  # live (open, in-auction, parked) intents one owner may hold


class InsufficientBalance(IntentError):
    """The owner holds none of the intent's tokens: nothing could ever be traded."""


class InsufficientAllowance(IntentError):
    """The owner holds a token it has not approved to the relayer: the settlement could not pull it."""


def check_funds(owner: str, tokens: Sequence[str], funds: Sequence[tuple[int, int]],
                symbols: dict[str, str] | None = None, decimals: dict[str, int] | None = None) -> None:
    """`funds[i]` is (balance, allowance to the relayer) of `tokens[i]`; raise when the intent cannot settle.
    With `decimals`, amounts are said in whole tokens; else in base units."""
    names = symbols or {}

    def amount(token: str, units: int) -> str:
        if decimals and token in decimals:
            return f"{units / 10**decimals[token]:,.6g}"
        return str(units)  # base units: no decimals known here

    if all(balance == 0 for balance, _ in funds):
        raise InsufficientBalance(
            f"intent.tokens: {owner} holds none of {', '.join(names.get(t, t) for t in tokens)}; fund it first",
            "intent.tokens[0]")
    for i, (token, (balance, allowance)) in enumerate(zip(tokens, funds, strict=True)):
        if balance > allowance:
            raise InsufficientAllowance(
                f"intent.tokens[{i}]: {owner} approved {amount(token, allowance)} of its {amount(token, balance)} "
                f"{names.get(token, token)} "
                f"to the relayer; approve the relayer for {names.get(token, token)}", f"intent.tokens[{i}]")


def check_open_cap(owner: str, live: int, cap: int) -> None:
    if live >= cap:
        raise OwnerCapReached(f"owner: {owner} already has {live} live intents (the most this orderbook keeps "
                              f"per owner is {cap}); cancel one or wait for it to settle or expire")
